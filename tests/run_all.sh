#!/usr/bin/env bash
# The one test command: installs what is missing, then builds and runs every test twice,
# in a normal build and in an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash tests/install_deps.sh

jobs=$(nproc)
status=0
for variant in release asan; do
  dir="build-ci-$variant"
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  [ "$variant" = asan ] && flags=(-DCMAKE_BUILD_TYPE=Debug -DWSGW_SANITIZE=ON)
  echo "=== $variant build"
  cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "=== $variant tests"
  # detect_leaks: the gateway and tests must not leak; halt_on_error keeps failures loud.
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" || status=1
done
exit $status
