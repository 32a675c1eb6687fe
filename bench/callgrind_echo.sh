#!/usr/bin/env bash
# Instructions the gateway executes per echoed message, counted by valgrind's callgrind: a figure
# the machine's noise does not move, for comparing builds. User space only (the kernel's share is
# not seen; bench/run.sh's CPU figures include it).
#
#   bench/callgrind_echo.sh [BUILD_DIR ...]   # default: build-bench beside this checkout
#
# For each build: the echo-cpp setup (wsgw-emulate, the C++ echo function, 10 connections at
# 400 msg/s), run twice under callgrind, SHORT and LONG seconds; the difference of the two totals
# divided by the difference in messages removes start-up and shutdown. Then the share of each
# library in the long run. wsgw_load comes from the first build. Needs valgrind.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=("$@")
[[ ${#builds[@]} -gt 0 ]] || builds=("$root/build-bench")
short=${CALLGRIND_SHORT:-2}
long=${CALLGRIND_LONG:-7}
rate=400
work=$(mktemp -d)
gateway_pid=
cleanup() {
  [[ -n $gateway_pid ]] && kill -KILL "$gateway_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

command -v valgrind >/dev/null || { echo "callgrind_echo: valgrind is not installed" >&2; exit 2; }
load=${builds[0]}/bin/wsgw_load
[[ -x $load ]] || { echo "callgrind_echo: no $load (build the bench targets first)" >&2; exit 2; }

# Runs the gateway of build $1 under callgrind for $2 seconds of load; prints "MESSAGES IR".
measure() {
  local bin=$1/bin seconds=$2 out=$work/callgrind.out ready=$work/ready.json
  cat >"$work/routes.json" <<EOF
{ "name": "bench", "stage": "dev",
  "functions": { "echo": { "command": ["$bin/echo_handler"] } },
  "routes": { "\$connect": { "function": "echo" }, "\$disconnect": { "function": "echo" },
              "\$default": { "function": "echo", "routeResponse": true } } }
EOF
  rm -f "$ready" "$out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin/wsgw-emulate" \
    --routes "$work/routes.json" --port 0 --ready-file "$ready" --log-level warn \
    >"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  for _ in $(seq 300); do
    [[ -s $ready ]] && break
    sleep 0.1
  done
  if [[ ! -s $ready ]]; then
    echo "callgrind_echo: the gateway did not start; its log:" >&2
    tail -20 "$work/gateway.log" >&2
    exit 1
  fi
  local port throughput
  port=$(grep -o '"port" *: *[0-9]*' "$ready" | grep -o '[0-9]*$')
  throughput=$("$load" --url "ws://127.0.0.1:$port/dev" --connections 10 --rate "$rate" \
    --duration "$seconds" --warmup 0 2>/dev/null |
    awk '$1 == "metric" && $4 == "name=throughput" { sub("value=", "", $5); print $5 }')
  kill -INT "$gateway_pid"
  wait "$gateway_pid" 2>/dev/null
  gateway_pid=
  local ir
  ir=$(awk '/^summary:/ { print $2 }' "$out")
  [[ -n $ir && -n $throughput ]] || { echo "callgrind_echo: no figures from $1" >&2; exit 1; }
  cp "$out" "$work/last.out"
  awk -v t="$throughput" -v s="$seconds" -v ir="$ir" 'BEGIN { printf "%d %s\n", t * s, ir }'
}

for build in "${builds[@]}"; do
  result=$(measure "$build" "$short") || exit 1
  read -r short_messages short_ir <<<"$result"
  result=$(measure "$build" "$long") || exit 1
  read -r long_messages long_ir <<<"$result"
  per_message=$(( (long_ir - short_ir) / (long_messages - short_messages) ))
  echo "== $build"
  echo "  instructions per echoed message: $per_message" \
       "($short_messages and $long_messages messages)"
  echo "metric scenario=callgrind-echo target=$(basename "$build") name=instructions_per_msg" \
       "value=$per_message unit=Ir"
  echo "  share of each library in the ${long}-second run (start-up included):"
  callgrind_annotate --inclusive=no --threshold=100 "$work/last.out" 2>/dev/null |
    awk '/^ *[0-9,]+ +\(/ && !/PROGRAM TOTALS/ {
           ir = $1; gsub(",", "", ir)
           object = $NF; gsub(/[][]/, "", object); n = split(object, parts, "/")
           by[parts[n]] += ir; total += ir
         }
         END { for (o in by) printf "    %5.1f %%  %s\n", 100 * by[o] / total, o }' |
    sort -rn | head -8
done
