#!/usr/bin/env bash
# Builds wsgw-emulate and runs the soak test (bench/soak.mjs) against it.
#
#   bench/run_soak.sh [--build-dir DIR] [--sanitize] [soak.mjs options...]
#
#   --build-dir DIR  where to build (default: build-soak, or build-soak-asan with --sanitize)
#   --sanitize       an ASan+UBSan build: sanitizer reports fail the soak
#   soak options     --duration S (60) --connections N (2000) --interval-ms MS (3000)
#                    --kill-every S (15) --max-rss-growth-mb MB (8) --hostile N (20)
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
build_type=RelWithDebInfo
suffix=""
if [[ $sanitize == ON ]]; then
  build_type=Debug
  suffix=-asan
fi
[[ -n $build_dir ]] || build_dir=$root/build-soak$suffix
if [[ ! -d $root/tests/node_modules/ws ]]; then
  (cd "$root/tests" && npm ci --no-audit --no-fund >/dev/null)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=$build_type -DWSGW_SANITIZE=$sanitize &&
       cmake --build "$build_dir" --target wsgw-emulate; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "run_soak.sh: building wsgw-emulate in $build_dir failed" >&2
  exit 2
fi
# A small quarantine: ASan's default 256 MB of freed memory held back would read as RSS growth.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=16}
node "$root/bench/soak.mjs" --bin "$build_dir/bin/wsgw-emulate" "${args[@]}"
