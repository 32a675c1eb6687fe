#!/usr/bin/env bash
# Builds wsgw-emulate and runs the soak test (bench/soak.mjs) against it.
#
#   bench/run_soak.sh [--build-dir DIR] [--sanitize] [soak.mjs options...]
#
#   --build-dir DIR  where to build (default: build-soak, or build-soak-asan with --sanitize)
#   --sanitize       an ASan+UBSan build: sanitizer reports fail the soak
#   soak options     --duration S (60) --connections N (2000) --interval-ms MS (3000)
#                    --kill-every S (15) --max-rss-growth-mb MB (8)
#
# Example, the run quoted in reviews: bench/run_soak.sh --duration 150 --connections 2000
# The soak is a program, not a CTest test: it prints a table and `soak.NAME VALUE` lines, and
# exits 1 when a check fails (a crash, a missing or duplicate $disconnect, a leak).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=""
sanitize=OFF
args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --sanitize) sanitize=ON; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -n $build_dir ]] || build_dir=$root/build-soak$([[ $sanitize == ON ]] && echo -asan)
if [[ ! -d $root/tests/node_modules/ws ]]; then
  (cd "$root/tests" && npm ci --no-audit --no-fund >/dev/null)
fi
build_type=RelWithDebInfo
[[ $sanitize == ON ]] && build_type=Debug
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=$build_type -DWSGW_SANITIZE=$sanitize >/dev/null
cmake --build "$build_dir" --target wsgw-emulate >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
exec node "$root/bench/soak.mjs" --bin "$build_dir/bin/wsgw-emulate" "${args[@]}"
