#!/usr/bin/env bash
# Runs one benchmark scenario against wsgw-emulate and, pair by pair in the same run, against
# serverless-offline (and, for the echo scenarios, the bare libwebsockets floor), then prints the
# ratios wsgw / peer. A benchmark is a program, not a test: it reports what it saw and exits 0
# unless it could not run at all.
#
#   bench/run.sh SCENARIO        # echo-cpp echo-node echo-python echo-mgmt broadcast-cpp broadcast-node
#                                # churn idle mgmt-post echo-tls
#   (echo-tls: the C++ echo over ws:// and over wss:// against the same wsgw, and the ratio)
#   bench/run.sh --list
#
# Environment (all optional):
#   WSGW_BUILD      build tree (default: build-bench beside this checkout's sources; configured and
#                   built in Release when a binary is missing)
#   BENCH_PEERS     "sls sls-inproc" (default), "" to run wsgw alone, or a subset
#   BENCH_DURATION  seconds measured per run (default 5); BENCH_WARMUP (default 1)
#   BENCH_CONNS     connections for the echo scenarios (default 50)
#   BENCH_RATE      offered rate for the latency runs (default 5000 msg/s)
#   BENCH_BROADCAST_CLIENTS (default 1000; 100 for broadcast-node), BENCH_IDLE_CONNS (default 10000),
#   BENCH_CHURN_SLOTS (default 20)
#
# Every process it starts is stopped on exit; every wait is bounded.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=$root/bench
build=${WSGW_BUILD:-$root/build-bench}
bin=$build/bin
peer_dir=$bench/peers/serverless-offline
peers=${BENCH_PEERS-sls sls-inproc}
duration=${BENCH_DURATION:-5}
warmup=${BENCH_WARMUP:-1}
conns=${BENCH_CONNS:-50}
rate=${BENCH_RATE:-5000}
broadcast_clients=${BENCH_BROADCAST_CLIENTS:-1000}
idle_conns=${BENCH_IDLE_CONNS:-10000}
churn_slots=${BENCH_CHURN_SLOTS:-20}
scenarios="echo-cpp echo-node echo-python echo-mgmt broadcast-cpp broadcast-node churn idle mgmt-post echo-tls host-floor"

usage() {
  echo "usage: bench/run.sh SCENARIO   (one of: $scenarios)" >&2
  exit 2
}
[[ $# -eq 1 ]] || usage
scenario=$1
if [[ $scenario == --list ]]; then
  echo "$scenarios"
  exit 0
fi
[[ " $scenarios " == *" $scenario "* ]] || usage

work=$build/bench-run/$scenario
results=$work/results.txt
started_pids=()

log() { echo "[bench $scenario] $*" >&2; }

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do stop_pid "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One descriptor per client connection, in this shell's children (the servers and wsgw_load).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

build_if_needed() {
  local missing=0 target
  for target in wsgw-emulate wsgw_load lws_echo_floor echo_handler broadcast_handler; do
    [[ -x $bin/$target ]] || missing=1
  done
  [[ $missing -eq 0 ]] && return 0
  log "building into $build"
  if [[ ! -f $build/build.ninja ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 ||
      { tail -20 "$work/cmake.log" >&2; exit 1; }
  fi
  cmake --build "$build" --target wsgw-emulate wsgw_load lws_echo_floor echo_handler \
    broadcast_handler >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
}

# The service folder both emulators load the handlers from: the same files, and the same
# AWS SDK (the peer's pinned one, else the integration tests' copy).
prepare_service() {
  local svc=$work/svc
  mkdir -p "$svc/handlers"
  cp "$bench"/handlers/*.mjs "$bench"/handlers/*.py "$bench/handlers/package.json" "$svc/handlers/"
  if [[ -d $peer_dir/node_modules/@aws-sdk/client-apigatewaymanagementapi ]]; then
    ln -sfn "$peer_dir/node_modules" "$svc/node_modules"
  elif [[ -d $root/tests/node_modules/@aws-sdk/client-apigatewaymanagementapi ]]; then
    ln -sfn "$root/tests/node_modules" "$svc/node_modules"
  fi
}

install_peer() {
  [[ -x $peer_dir/node_modules/.bin/serverless ]] && return 0
  log "installing serverless-offline (npm ci in $peer_dir)"
  (cd "$peer_dir" && timeout 600 npm ci --no-audit --no-fund >"$work/npm.log" 2>&1) ||
    { log "npm ci failed (see $work/npm.log); serverless-offline runs are skipped"; return 1; }
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_for_port() {
  local port=$1 tries=$2
  for _ in $(seq "$tries"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# --- wsgw ------------------------------------------------------------------------------------

# routes.json for the scenario's wsgw side, on stdout.
wsgw_routes() {
  local kind=$1
  case $kind in
    cpp-echo)
      cat <<EOF
{ "name": "bench", "stage": "dev",
  "functions": { "echo": { "command": ["$bin/echo_handler"] } },
  "routes": { "\$connect": { "function": "echo" }, "\$disconnect": { "function": "echo" },
              "\$default": { "function": "echo", "routeResponse": true } } }
EOF
      ;;
    cpp-broadcast)
      cat <<EOF
{ "name": "bench", "stage": "dev",
  "functions": { "fanout": { "command": ["$bin/broadcast_handler"] } },
  "routes": { "\$connect": { "function": "fanout" }, "\$disconnect": { "function": "fanout" },
              "\$default": { "function": "fanout" } } }
EOF
      ;;
    python-echo)
      cat <<EOF
{ "name": "bench", "stage": "dev",
  "functions": { "fn": { "runtime": "python", "handler": "handlers/echo.handler" } },
  "routes": { "\$connect": { "function": "fn" }, "\$disconnect": { "function": "fn" },
              "\$default": { "function": "fn", "routeResponse": true } } }
EOF
      ;;
    node-bare)
      cat <<EOF
{ "name": "bench", "stage": "dev",
  "functions": { "fn": { "url": "http://127.0.0.1:$bare_port/2015-03-31/functions/fn/invocations" } },
  "routes": { "\$default": { "function": "fn", "routeResponse": true } } }
EOF
      ;;
    node-echo-1)
      cat <<EOF
{ "name": "bench", "stage": "dev",
  "functions": { "fn": { "runtime": "nodejs", "handler": "handlers/echo.handler", "concurrency": 1 } },
  "routes": { "\$default": { "function": "fn", "routeResponse": true } } }
EOF
      ;;
    node-echo | node-reply | node-broadcast)
      local file=${kind#node-} two_way=false env='{}'
      [[ $file == echo ]] && two_way=true
      # One execution environment, so that every route sees the same set of connection ids.
      [[ $file == broadcast ]] && env='{ "WSGW_HOST_MAX_WORKERS": "1" }'
      cat <<EOF
{ "name": "bench", "stage": "dev",
  "functions": { "fn": { "runtime": "nodejs", "handler": "handlers/$file.handler", "env": $env } },
  "routes": { "\$connect": { "function": "fn" }, "\$disconnect": { "function": "fn" },
              "\$default": { "function": "fn", "routeResponse": $two_way } } }
EOF
      ;;
  esac
}

gateway_pid=
gateway_url=
gateway_secure_url=
gateway_ca=
start_wsgw() {
  local kind=$1 routes=$work/svc/routes-$1.json ready=$work/wsgw-ready.json
  wsgw_routes "$kind" >"$routes"
  rm -f "$ready"
  # Its own data folder: the local CA (tls/) and DynamoDB's file stay out of the user's cache.
  "$bin/wsgw-emulate" --routes "$routes" --port 0 --ready-file "$ready" --log-level warn \
    --data-dir "$work/data" --dynamodb-in-memory >"$work/wsgw-$kind.log" 2>&1 &
  gateway_pid=$!
  started_pids+=("$gateway_pid")
  for _ in $(seq 150); do
    [[ -s $ready ]] && break
    kill -0 "$gateway_pid" 2>/dev/null || break
    sleep 0.2
  done
  if [[ ! -s $ready ]]; then
    log "wsgw-emulate did not become ready; its log:"
    tail -20 "$work/wsgw-$kind.log" >&2
    return 1
  fi
  local port
  port=$(grep -o '"port" *: *[0-9]*' "$ready" | grep -o '[0-9]*$')
  gateway_url=ws://127.0.0.1:$port/dev
  gateway_secure_url=wss://127.0.0.1:$port/dev
  gateway_ca=$(grep -o '"caFile" *: *"[^"]*"' "$ready" | sed 's/.*: *"//; s/"$//')
}

# --- serverless-offline --------------------------------------------------------------------------

sls_pid=
sls_url=
start_sls() {
  local mode=$1 file=$2 two_way=$3 runtime=${4:-nodejs20.x}
  local dir=$work/svc port http_port lambda_port
  port=$(free_port) && http_port=$(free_port) && lambda_port=$(free_port) || return 1
  local response=""
  [[ $two_way == true ]] && response=", routeResponseSelectionExpression: \$default"
  cat >"$dir/serverless.yml" <<EOF
service: wsgw-bench
frameworkVersion: '3'
provider:
  name: aws
  runtime: $runtime
  region: us-east-1
  stage: local
  websocketsApiRouteSelectionExpression: \$request.body.action
  environment:
    WSGW_MANAGEMENT_ENDPOINT: http://127.0.0.1:$port
functions:
  fn:
    handler: handlers/$file.handler
    events:
      - websocket: { route: \$connect }
      - websocket: { route: \$disconnect }
      - websocket: { route: \$default$response }
plugins:
  - serverless-offline
EOF
  local flags=()
  [[ $mode == sls-inproc ]] && flags+=(--useInProcess)
  (cd "$dir" && SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off \
    AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-placeholder} \
    AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-placeholder} \
    exec node "$peer_dir/node_modules/serverless/bin/serverless.js" offline start \
      --host 127.0.0.1 --websocketPort "$port" --httpPort "$http_port" \
      --lambdaPort "$lambda_port" "${flags[@]}") >"$work/$mode-$file.log" 2>&1 &
  sls_pid=$!
  started_pids+=("$sls_pid")
  if ! wait_for_port "$port" 300; then
    log "serverless-offline did not start; its log:"
    tail -20 "$work/$mode-$file.log" >&2
    return 1
  fi
  sls_url=ws://127.0.0.1:$port
}

floor_pid=
floor_url=
start_floor() {
  local ready=$work/floor-ready.json
  rm -f "$ready"
  "$bin/lws_echo_floor" --port 0 --ready-file "$ready" --seconds 600 >"$work/floor.log" 2>&1 &
  floor_pid=$!
  started_pids+=("$floor_pid")
  for _ in $(seq 50); do [[ -s $ready ]] && break; sleep 0.1; done
  floor_url=ws://127.0.0.1:$(grep -o '[0-9][0-9]*' "$ready")/
}

# --- measuring ---------------------------------------------------------------------------------

note() {  # note TARGET TEXT: a line of the results for something that was not measured
  echo "note scenario=$scenario target=$1 text=$2" | tee -a "$results"
}

load() {  # load TARGET ARGS...: one wsgw_load run, its table shown and its lines kept
  local target=$1
  shift
  timeout 900 "$bin/wsgw_load" --scenario "$scenario" --target "$target" "$@" | tee -a "$results"
}

metric() {  # metric TARGET NAME -> value, or nothing
  awk -v t="$1" -v n="$2" '$1 == "metric" && $3 == "target=" t && $4 == "name=" n {
    sub("value=", "", $5); print $5; exit }' "$results"
}

connect_args=()
echo_runs() {  # echo_runs TARGET URL CPU-ARGS...: max throughput, then latency at $rate
  local target=$1 url=$2
  shift 2
  load "$target-max" --url "$url" --connections "$conns" --rate 0 --duration "$duration" \
    --warmup "$warmup" "${connect_args[@]}" "$@"
  local max
  max=$(metric "$target-max" throughput)
  if [[ -z $max ]] || awk -v m="$max" -v r="$rate" 'BEGIN { exit !(m < r) }'; then
    note "$target" "latency at $rate msg/s not measured: its maximum throughput is ${max:-0} msg/s"
    return
  fi
  load "$target" --url "$url" --connections "$conns" --rate "$rate" --duration "$duration" \
    --warmup "$warmup" "${connect_args[@]}" "$@"
}

peer_ok() {
  [[ " $peers " == *" $1 "* ]] || return 1
  install_peer
}

run_echo() {  # run_echo WSGW_KIND HANDLER_FILE TWO_WAY WITH_FLOOR [SLS_RUNTIME]
  local kind=$1 file=$2 two_way=$3 with_floor=$4 runtime=${5:-nodejs20.x}
  if start_wsgw "$kind"; then
    echo_runs wsgw "$gateway_url" --cpu-pid server="$gateway_pid" \
      --cpu-tree server_and_functions="$gateway_pid"
    stop_pid "$gateway_pid"
  fi
  if [[ $with_floor == yes ]]; then
    start_floor
    echo_runs floor "$floor_url" --cpu-pid server="$floor_pid"
    stop_pid "$floor_pid"
  fi
  local mode
  for mode in sls sls-inproc; do
    peer_ok "$mode" || continue
    if [[ $mode == sls-inproc && $runtime != nodejs* ]]; then
      note "$mode" "not run: --useInProcess runs Node.js handlers only"
      continue
    fi
    if start_sls "$mode" "$file" "$two_way" "$runtime"; then
      echo_runs "$mode" "$sls_url" --cpu-tree server_and_functions="$sls_pid"
      stop_pid "$sls_pid"
    else
      note "$mode" "serverless-offline did not start"
    fi
  done
}

# The C++ echo over ws:// then wss:// against one wsgw-emulate (one port, both protocols), so the
# difference is TLS's cost per message: encryption on both sides, and the gateway's socketpair.
run_echo_tls() {
  start_wsgw cpp-echo || return
  echo_runs ws "$gateway_url" --cpu-pid server="$gateway_pid"
  if [[ -z $gateway_ca ]]; then
    note wss "wsgw wrote no caFile (TLS off?); wss not measured"
  else
    echo_runs wss "$gateway_secure_url" --ca "$gateway_ca" --cpu-pid server="$gateway_pid"
  fi
  stop_pid "$gateway_pid"
}

# wss / ws for the headline figures, and a table of both.
compare_tls() {
  echo
  echo "== echo-tls: wss / ws, same gateway, same run =="
  awk '
    $1 == "metric" {
      target = $3; sub("target=", "", target); name = $4; sub("name=", "", name)
      value = $5; sub("value=", "", value); unit = $6; sub("unit=", "", unit)
      v[target, name] = value; u[name] = unit
    }
    function row(label, target, name) {
      if (!(("ws" target, name) in v) || !(("wss" target, name) in v)) return
      w = v["ws" target, name]; s = v["wss" target, name]
      r = (w + 0 == 0) ? "n/a" : sprintf("%.3g", s / w)
      printf "%-34s %12s %12s %8s  %s\n", label, w, s, r, u[name]
      ratios = ratios sprintf("ratio scenario=echo-tls name=%s%s ws=%s wss=%s unit=%s ratio=%s\n", name, target, w, s, u[name], r)
    }
    END {
      printf "%-34s %12s %12s %8s\n", "figure", "ws", "wss", "wss/ws"
      row("max throughput (closed loop)", "-max", "throughput")
      row("p50 latency at max", "-max", "latency_p50")
      row("p99 latency at max", "-max", "latency_p99")
      row("server CPU per message at max", "-max", "cpu_per_msg_server")
      row("p50 latency at the fixed rate", "", "latency_p50")
      row("p99 latency at the fixed rate", "", "latency_p99")
      row("server CPU per message, fixed rate", "", "cpu_per_msg_server")
      printf "%s", ratios
    }' "$results"
}

# What the Node.js host costs over the least any Node.js process behind the Invoke API costs: the
# same gateway, one connection (one invocation at a time, as one execution environment runs them),
# against handlers/bare_invoke_server.mjs (a url function) and then the host's direct environment
# (concurrency 1). CPU per message of the function process alone, and of the gateway.
bare_port=
run_host_floor() {
  bare_port=$(free_port) || return
  PORT=$bare_port node "$bench/handlers/bare_invoke_server.mjs" >"$work/bare.log" 2>&1 &
  local bare_pid=$!
  started_pids+=("$bare_pid")
  wait_for_port "$bare_port" 50 || { log "the bare server did not start"; return; }
  local saved_conns=$conns
  conns=${BENCH_CONNS:-1}
  if start_wsgw node-bare; then
    load bare-max --url "$gateway_url" --connections "$conns" --rate 0 --duration "$duration" \
      --warmup "$warmup" --cpu-pid gateway="$gateway_pid" --cpu-pid function="$bare_pid"
    stop_pid "$gateway_pid"
  fi
  stop_pid "$bare_pid"
  if start_wsgw node-echo-1; then
    # The environment starts with the first invocation: warm it, then find its process.
    "$bin/wsgw_load" --url "$gateway_url" --connections 1 --duration 1 --warmup 0 >/dev/null 2>&1
    local front worker
    front=$(pgrep -P "$gateway_pid" | head -1)
    worker=$(pgrep -P "$front" | head -1)
    load host-max --url "$gateway_url" --connections "$conns" --rate 0 --duration "$duration" \
      --warmup "$warmup" --cpu-pid gateway="$gateway_pid" --cpu-pid function="$worker"
    stop_pid "$gateway_pid"
  fi
  conns=$saved_conns
}

run_broadcast() {  # run_broadcast WSGW_KIND
  local kind=$1 mode
  local args=(--mode broadcast --connections "$broadcast_clients" --action broadcast --rounds 10
              --round-timeout 20 --connect-concurrency 50)
  if start_wsgw "$kind"; then
    load wsgw --url "$gateway_url" "${args[@]}"
    stop_pid "$gateway_pid"
  fi
  for mode in sls sls-inproc; do
    peer_ok "$mode" || continue
    if start_sls "$mode" broadcast false; then
      load "$mode" --url "$sls_url" "${args[@]}"
      stop_pid "$sls_pid"
    else
      note "$mode" "serverless-offline did not start"
    fi
  done
}

run_churn() {
  local mode args=(--mode churn --connections "$churn_slots" --duration "$duration" --warmup "$warmup")
  if start_wsgw cpp-echo; then
    load wsgw --url "$gateway_url" "${args[@]}" --cpu-pid server="$gateway_pid" \
      --cpu-tree server_and_functions="$gateway_pid"
    stop_pid "$gateway_pid"
  fi
  for mode in sls sls-inproc; do
    peer_ok "$mode" || continue
    if start_sls "$mode" echo true; then
      load "$mode" --url "$sls_url" "${args[@]}" --cpu-tree server_and_functions="$sls_pid"
      stop_pid "$sls_pid"
    else
      note "$mode" "serverless-offline did not start"
    fi
  done
}

run_idle() {
  local mode args=(--mode idle --connections "$idle_conns" --hold 3 --connect-concurrency 200
                   --connect-timeout 300)
  if start_wsgw cpp-echo; then
    load wsgw --url "$gateway_url" "${args[@]}" --rss-pid server="$gateway_pid" \
      --rss-tree server_and_functions="$gateway_pid"
    stop_pid "$gateway_pid"
  fi
  for mode in sls sls-inproc; do
    peer_ok "$mode" || continue
    if [[ $mode == sls ]]; then
      # Measured in echo-node: its default runner starts one worker thread per concurrent
      # invocation (gigabytes at 5,000 msg/s), so 10,000 $connects are not attempted.
      note sls "not run: the default worker-thread runner starts a worker per concurrent \$connect"
      continue
    fi
    if start_sls "$mode" echo true; then
      load "$mode" --url "$sls_url" "${args[@]}" --rss-tree server_and_functions="$sls_pid"
      stop_pid "$sls_pid"
    else
      note "$mode" "serverless-offline did not start"
    fi
  done
}

run_mgmt_post() {
  local runner=$bench/run_mgmt_bench.sh
  if [[ ! -x $bin/mgmt_post_bench ]]; then
    cmake --build "$build" --target mgmt_post_bench >"$work/build-mgmt.log" 2>&1 || true
  fi
  if [[ -f $runner && -x $bin/mgmt_post_bench ]]; then
    # Its own lines ("mgmt_post_per_sec connections=N value=X") become metric lines as well.
    bash "$runner" "$bin/wsgw-emulate" "$bin/mgmt_post_bench" | tee "$work/mgmt_post_bench.txt"
    awk -v s="$scenario" '$1 == "mgmt_post_per_sec" {
        c = $2; sub("connections=", "", c); x = $3; sub("value=", "", x)
        if (!seen++) print "metric scenario=" s " target=wsgw name=posts_per_second value=" x " unit=posts/s"
        print "metric scenario=" s " target=wsgw name=posts_per_second_c" c " value=" x " unit=posts/s"
      }' "$work/mgmt_post_bench.txt" | tee -a "$results"
  else
    note wsgw "skipped: mgmt_post_bench did not build here (see $work/build-mgmt.log)"
  fi
  note sls "PostToConnection throughput of serverless-offline is not measured by mgmt_post_bench"
}

# --- comparison --------------------------------------------------------------------------------

# ratio lines: wsgw / each peer (and / floor), for every metric both sides reported.
compare() {
  echo
  echo "== $scenario: wsgw / peer, same run =="
  # The figures worth a ratio; every figure stays in the results file.
  local headline='^(throughput@max|latency_p(50|99)|latency_p99@max|cpu_per_(msg|connection)_server(_and_functions)?(@max)?|connect_p99(@max)?|last_delivery_(p50|max)|median_delivery_p50|cycles_per_second|rss_idle_server(_and_functions)?|rss_per_connection_server|connect_all_seconds)$'
  awk -v scenario="$scenario" -v headline="$headline" '
    $1 == "metric" {
      target = $3; sub("target=", "", target); name = $4; sub("name=", "", name)
      value = $5; sub("value=", "", value); unit = $6; sub("unit=", "", unit)
      base = target; sub("-max$", "", base)
      key = name (target ~ /-max$/ ? "@max" : "")
      v[base, key] = value; u[key] = unit; bases[base] = 1; keys[key] = 1
    }
    function better(k) {
      if (k ~ /throughput|cycles_per_second|^connections|rounds/) return "higher is better"
      return "lower is better"
    }
    END {
      for (b in bases) {
        if (b == "wsgw") continue
        for (k in keys) {
          if (k !~ headline) continue
          if (!((("wsgw", k) in v) && ((b, k) in v))) continue
          w = v["wsgw", k]; p = v[b, k]
          r = (p + 0 == 0) ? "n/a" : sprintf("%.3g", w / p)
          printf "ratio scenario=%s name=%s peer=%s wsgw=%s peer_value=%s unit=%s ratio=%s (%s)\n",
                 scenario, k, b, w, p, u[k], r, better(k)
        }
      }
    }' "$results" | sort
}

mkdir -p "$work"
: >"$results"
build_if_needed
prepare_service
echo "bench scenario=$scenario date=$(date -u +%FT%TZ) loadavg=$(cut -d' ' -f1-3 /proc/loadavg)" \
  "cpus=$(nproc) peers=${peers:-none}" | tee -a "$results"
if awk '{ exit !($1 > 0.7) }' /proc/loadavg; then
  note all "the machine was busy before this run (load average $(cut -d' ' -f1 /proc/loadavg)); figures may be noisy"
fi

case $scenario in
  echo-cpp) run_echo cpp-echo echo true yes ;;
  echo-node) run_echo node-echo echo true yes ;;
  echo-python)
    # serverless-offline's Python runner starts a Python process per concurrent invocation, seconds
    # each on 2 cores: 50 simultaneous $connects time out there, 10 (given a minute) open.
    conns=${BENCH_CONNS:-10} connect_args=(--connect-timeout 120)
    run_echo python-echo echo true no python3.11
    ;;
  echo-mgmt) run_echo node-reply reply false no ;;
  broadcast-cpp) run_broadcast cpp-broadcast ;;
  broadcast-node)
    # A chat room's size (issue 18): one sender, 100 members, a PostToConnection per member.
    broadcast_clients=${BENCH_BROADCAST_CLIENTS:-100}
    run_broadcast node-broadcast
    ;;
  churn) run_churn ;;
  idle) run_idle ;;
  mgmt-post) run_mgmt_post ;;
  echo-tls) run_echo_tls ;;
  host-floor) run_host_floor ;;
esac

if [[ $scenario == echo-tls ]]; then
  compare_tls | tee -a "$results"
elif [[ $scenario == host-floor ]]; then
  echo
  echo "== host-floor: the Node.js host's environment / the bare Invoke API server, same gateway =="
  awk '$1 == "metric" {
      t = $3; sub("target=", "", t); n = $4; sub("name=", "", n); x = $5; sub("value=", "", x)
      v[t, n] = x }
    END {
      split("throughput cpu_per_msg_function cpu_per_msg_gateway latency_p50 latency_p99", names, " ")
      for (i = 1; i <= 5; i++) {
        n = names[i]
        if (!(("host-max", n) in v) || !(("bare-max", n) in v) || v["bare-max", n] + 0 == 0) continue
        printf "ratio scenario=host-floor name=%s host=%s bare=%s ratio=%.3g\n", n, v["host-max", n], v["bare-max", n], v["host-max", n] / v["bare-max", n]
      }
    }' "$results" | tee -a "$results"
else
  compare | tee -a "$results"
fi
echo "results: $results"
