#!/usr/bin/env bash
# Builds and runs wsgw's libFuzzer targets, self-contained: the main build may use g++, so the
# fuzz targets are compiled here with clang++ (-fsanitize=fuzzer,address,undefined) from the
# few emulator sources they need.
#
#   run_fuzz.sh build --out DIR                 compile every target into DIR/bin
#   run_fuzz.sh run --out DIR [--seconds N] [--jobs N] TARGET...
#                                               fuzz each TARGET for N seconds (default 10)
#   run_fuzz.sh replay --out DIR TARGET...      run each seed/regression input once
#
# Longer, on demand (e.g. 10 minutes per target on 2 cores), from the repository root:
#   bash tests/fuzz/run_fuzz.sh build --out build/fuzz
#   bash tests/fuzz/run_fuzz.sh run --out build/fuzz --seconds 600 --jobs 2 http_head
#
# Seeds and regressions live in fixtures/fuzz/TARGET/ (read-only here); what the fuzzer learns
# goes to DIR/corpus/TARGET. A crash leaves DIR/artifacts/TARGET/crash-*: copy it into
# fixtures/fuzz/TARGET/ so that every later run replays it, and fix the bug.
# Exit status 77 means "skipped" (no clang++ with libFuzzer); CTest reports it as such.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
targets_all=(routes_config selection_expression management_path http_head lambda_event
             dynamodb_expression project_yaml serverless websocket_frames http_request_reader
             lambda_request_reader)
# The emulator sources the targets need (and the handler runtime's request reader); all go
# into one static library.
sources=(api/routes_config api/selection_expression api/management_path base/http_head
         base/http_request_reader api/lambda_event
         api/function_answer base/json
         base/utf8 base/log base/ids base/base64 base/websocket_frame_checker base/suggest
         dynamodb/number dynamodb/attribute_value dynamodb/expression dynamodb/expression_ast
         dynamodb/expression_tokenizer dynamodb/expression_parser dynamodb/expression_evaluator
         dynamodb/expression_update dynamodb/expression_projection
         dynamodb/expression_reserved_words dynamodb/key_condition
         project/yaml_document project/intrinsics project/cloudformation_import
         project/serverless_variables project/serverless_import
         ../lambda-bridge/src/request_reader)

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

mode=${1:-}
[ -n "$mode" ] || usage
shift
out=""
seconds=10
jobs=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) usage ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ -n "$out" ] || usage
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")
mkdir -p "$out"
out=$(cd "$out" && pwd)

find_clang() {
  for candidate in "${CXX_FUZZ:-}" clang++ clang++-14 clang++-15 clang++-16 clang++-13; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

build() {
  local cxx
  if ! cxx=$(find_clang); then
    echo "SKIPPED: no clang++ found; the fuzz targets need clang with libFuzzer (apt-get install clang)"
    exit 77
  fi
  local probe="$out/probe"
  mkdir -p "$probe"
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe/p.cc"
  if ! "$cxx" -fsanitize=fuzzer,address "$probe/p.cc" -o "$probe/p" >"$probe/log" 2>&1; then
    echo "SKIPPED: $cxx cannot link -fsanitize=fuzzer (libFuzzer missing):"
    cat "$probe/log"
    exit 77
  fi

  local cflags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
                -fno-sanitize-recover=undefined -DWSGW_VERSION='"fuzz"' -DWSGW_SOURCE_DIR="\"$root\""
                -I"$root/emulator" -I"$root/lambda-bridge/src")
  # shellcheck disable=SC2207
  cflags+=($(pkg-config --cflags jsoncpp simdjson libwebsockets libfyaml 2>/dev/null ||
             echo -I/usr/include/jsoncpp -DSIMDJSON_THREADS_ENABLED=1))
  local libs=($(pkg-config --libs jsoncpp simdjson libwebsockets libfyaml 2>/dev/null ||
                echo -ljsoncpp -lsimdjson -lwebsockets -lfyaml)
              -lhttp_parser -lpthread)
  mkdir -p "$out/obj/dynamodb" "$out/bin"
  echo "compiling with $cxx into $out"

  local pids=() src
  # Compiles $1 to $2 when the object is missing or older than its source or any header.
  compile() {
    local source=$1 object=$2 flags=("${@:3}")
    if [ -f "$object" ] && [ "$object" -nt "$source" ] &&
       [ -z "$(find "$root/emulator" -name '*.h' -newer "$object" -print -quit)" ]; then
      return 0
    fi
    "$cxx" "${cflags[@]}" "${flags[@]}" -c "$source" -o "$object"
  }
  local parallel=$(nproc 2>/dev/null || echo 2)
  for src in "${sources[@]}"; do
    compile "$root/emulator/$src.cc" "$out/obj/${src////_}.o" -fsanitize=fuzzer-no-link &
    pids+=($!)
    if [ ${#pids[@]} -ge "$parallel" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for target in "${targets_all[@]}"; do
    compile "$here/${target}_fuzz.cc" "$out/obj/${target}_fuzz.o" -fsanitize=fuzzer-no-link &
    pids+=($!)
    if [ ${#pids[@]} -ge "$parallel" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  rm -f "$out/obj/libwsgw_fuzz.a"
  ar rcs "$out/obj/libwsgw_fuzz.a" $(for s in "${sources[@]}"; do echo "$out/obj/${s////_}.o"; done)
  for target in "${targets_all[@]}"; do
    "$cxx" -fsanitize=fuzzer,address,undefined "$out/obj/${target}_fuzz.o" "$out/obj/libwsgw_fuzz.a" \
      "${libs[@]}" -o "$out/bin/${target}_fuzz"
  done
  echo "built: ${targets_all[*]/%/_fuzz}"
}

check_binary() {
  local target=$1
  if [ ! -x "$out/bin/${target}_fuzz" ]; then
    if ! find_clang >/dev/null; then
      echo "SKIPPED: no clang++; the fuzz targets were not built"
      exit 77
    fi
    echo "no fuzz binary $out/bin/${target}_fuzz: run '$0 build --out $out' first" >&2
    exit 1
  fi
}

# Leaks inside libfyaml itself are suppressed (lsan.supp says why); every other leak fails.
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

run() {
  local status=0
  for target in "${targets[@]}"; do
    check_binary "$target"
    local seeds="$root/fixtures/fuzz/$target" corpus="$out/corpus/$target" artifacts="$out/artifacts/$target/"
    mkdir -p "$corpus" "$artifacts"
    local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                   -artifact_prefix="$artifacts")
    [ -f "$here/$target.dict" ] && options+=(-dict="$here/$target.dict")
    [ "$jobs" -gt 1 ] && options+=(-fork="$jobs" -ignore_crashes=0)
    local dirs=("$corpus")
    [ -d "$seeds" ] && dirs+=("$seeds")
    echo "=== fuzzing $target for ${seconds}s (corpus $corpus, seeds $seeds)"
    local log="$out/$target.log"
    if "$out/bin/${target}_fuzz" "${options[@]}" "${dirs[@]}" >"$log" 2>&1; then
      grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|INFO: seed corpus)' "$log" || true
      echo "ok: $target"
    else
      status=1
      tail -n 60 "$log"
      echo "FAILED: $target; the input is in $artifacts (copy it into fixtures/fuzz/$target/ as a regression)"
    fi
  done
  return $status
}

replay() {
  local status=0
  for target in "${targets[@]}"; do
    check_binary "$target"
    local seeds="$root/fixtures/fuzz/$target"
    [ -d "$seeds" ] || continue
    mapfile -t files < <(find "$seeds" -type f | sort)
    [ ${#files[@]} -gt 0 ] || continue
    if "$out/bin/${target}_fuzz" -runs=1 "${files[@]}" >"$out/$target.replay.log" 2>&1; then
      echo "ok: $target (${#files[@]} inputs replayed)"
    else
      status=1
      tail -n 60 "$out/$target.replay.log"
      echo "FAILED: $target"
    fi
  done
  return $status
}

case "$mode" in
  build) build ;;
  run) run ;;
  replay) replay ;;
  *) usage ;;
esac
