#!/usr/bin/env bash
# Runs mgmt_post_bench against a freshly started gateway. Builds nothing.
#
#   bench/run_mgmt_bench.sh [WSGW_EMULATE [MGMT_POST_BENCH]] [-- extra mgmt_post_bench options]
#
# Defaults: the binaries in build/bin (or build/emulator, build/bench) of this checkout.
# Example: bench/run_mgmt_bench.sh build/bin/wsgw-emulate build/bin/mgmt_post_bench -- --posts 50000
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
first_existing() {
  for candidate in "$@"; do
    if [[ -x $candidate ]]; then
      echo "$candidate"
      return
    fi
  done
  echo "$1"
}
gateway_bin=$(first_existing "$root/build/bin/wsgw-emulate" "$root/build/emulator/wsgw-emulate")
bench_bin=$(first_existing "$root/build/bin/mgmt_post_bench" "$root/build/bench/mgmt_post_bench")
if [[ $# -gt 0 && $1 != -- ]]; then gateway_bin=$1; shift; fi
if [[ $# -gt 0 && $1 != -- ]]; then bench_bin=$1; shift; fi
if [[ $# -gt 0 && $1 == -- ]]; then shift; fi
for bin in "$gateway_bin" "$bench_bin"; do
  if [[ ! -x $bin ]]; then
    echo "not found or not executable: $bin (build the wsgw-emulate and mgmt_post_bench targets)" >&2
    exit 2
  fi
done

work=$(mktemp -d)
gateway_pid=
cleanup() {
  if [[ -n $gateway_pid ]]; then
    kill "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The bench serves the whoami function itself; the gateway must know its port up front.
function_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/routes.json" <<EOF
{
  "name": "mgmt-bench",
  "stage": "bench",
  "functions": {
    "whoami": { "url": "http://127.0.0.1:$function_port/2015-03-31/functions/whoami/invocations" }
  },
  "routes": {
    "whoami": { "function": "whoami", "routeResponse": true }
  }
}
EOF

"$gateway_bin" --routes "$work/routes.json" --port 0 --ready-file "$work/ready.json" \
  --log-level warn >"$work/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 100); do
  [[ -s $work/ready.json ]] && break
  if ! kill -0 "$gateway_pid" 2>/dev/null; then
    echo "the gateway exited before it was ready:" >&2
    cat "$work/gateway.log" >&2
    exit 1
  fi
  sleep 0.05
done
if [[ ! -s $work/ready.json ]]; then
  echo "the gateway wrote no ready file within 5 s" >&2
  exit 1
fi
ws_url=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["websocketUrl"])' "$work/ready.json")

timeout 120 "$bench_bin" --url "$ws_url" --function-port "$function_port" "$@"
