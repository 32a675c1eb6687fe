#!/usr/bin/env bash
# Runs every benchmark scenario (bench/run.sh SCENARIO, one after the other) and prints one table of
# the headline figures: wsgw, the bare libwebsockets floor, serverless-offline (default worker
# threads, and --useInProcess), and the ratios wsgw / serverless-offline. Takes about ten minutes.
#
#   bench/run_all.sh [SCENARIO...]      # default: all of them
#   bench/run_all.sh --summary          # only print the table of the last runs' results
#
# The same environment variables as bench/run.sh apply. Results stay in
# $WSGW_BUILD/bench-run/SCENARIO/results.txt; the table is also written to
# $WSGW_BUILD/bench-run/summary.md.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${WSGW_BUILD:-$root/build-bench}
runs=$build/bench-run

summary_only=0
scenarios=()
for arg in "$@"; do
  if [[ $arg == --summary ]]; then summary_only=1; else scenarios+=("$arg"); fi
done
if [[ ${#scenarios[@]} -eq 0 ]]; then
  read -r -a scenarios <<<"$("$root/bench/run.sh" --list)"
fi

if [[ $summary_only -eq 0 ]]; then
  for scenario in "${scenarios[@]}"; do
    echo "=== bench/run.sh $scenario"
    "$root/bench/run.sh" "$scenario" || echo "=== $scenario could not run (exit $?)"
  done
fi

# One row per headline figure: value per target, then wsgw / serverless-offline.
summarize() {
  local scenario file
  echo "| scenario | figure | unit | wsgw | floor | sls | sls-inproc | wsgw/sls | wsgw/sls-inproc |"
  echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for scenario in "${scenarios[@]}"; do
    file=$runs/$scenario/results.txt
    [[ -f $file ]] || continue
    awk -v scenario="$scenario" '
      function fmt(x) {
        if (x == "") return "–"
        if (x + 0 >= 100) return sprintf("%.0f", x)
        if (x + 0 >= 10) return sprintf("%.1f", x)
        return sprintf("%.3g", x)
      }
      function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "–" : sprintf("%.2f", a / b) }
      $1 == "metric" {
        t = $3; sub("target=", "", t); n = $4; sub("name=", "", n)
        x = $5; sub("value=", "", x); un = $6; sub("unit=", "", un)
        if (t ~ /-max$/) { sub("-max$", "", t); n = n "@max" }
        v[t, n] = x; unit[n] = un
      }
      $1 == "note" { t = $3; sub("target=", "", t); line = $0; sub(/.* text=/, "", line); notes[t] = notes[t] "; " line }
      END {
        split("throughput@max|latency_p50|latency_p99|latency_p99@max|cpu_per_msg_server|cpu_per_msg_server@max|cpu_per_msg_server_and_functions@max|last_delivery_p50|last_delivery_max|median_delivery_p50|cycles_per_second|connect_p99|cpu_per_connection_server_and_functions|rss_idle_server|rss_idle_server_and_functions|rss_per_connection_server|connect_all_seconds|posts_per_second", names, "|")
        label["throughput@max"] = "echo throughput, as fast as allowed"
        label["latency_p50"] = "latency p50 at the offered rate"
        label["latency_p99"] = "latency p99 at the offered rate"
        label["latency_p99@max"] = "latency p99, as fast as allowed"
        label["cpu_per_msg_server"] = "server process CPU per message, offered rate"
        label["cpu_per_msg_server@max"] = "server process CPU per message, as fast as allowed"
        label["cpu_per_msg_server_and_functions@max"] = "server + functions CPU per message, as fast as allowed"
        label["last_delivery_p50"] = "last client reached, median round"
        label["last_delivery_max"] = "last client reached, worst round"
        label["median_delivery_p50"] = "half the clients reached, median round"
        label["cycles_per_second"] = "connect + $connect + close + $disconnect per second"
        label["connect_p99"] = "handshake p99"
        label["cpu_per_connection_server_and_functions"] = "server + functions CPU per connection"
        label["rss_idle_server"] = "server resident memory, connections idle"
        label["rss_idle_server_and_functions"] = "server + functions resident memory"
        label["rss_per_connection_server"] = "server memory per connection"
        label["connect_all_seconds"] = "time to open all connections"
        label["posts_per_second"] = "PostToConnection per second"
        for (i = 1; i in names; i++) {
          n = names[i]
          if (!(("wsgw", n) in v)) continue
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", scenario, label[n], unit[n],
                 fmt(v["wsgw", n]), fmt(v["floor", n]), fmt(v["sls", n]), fmt(v["sls-inproc", n]),
                 ratio(v["wsgw", n], v["sls", n]), ratio(v["wsgw", n], v["sls-inproc", n])
        }
        for (t in notes) printf "| %s | note (%s) | | %s | | | | | |\n", scenario, t, substr(notes[t], 3)
      }' "$file"
  done
}

mkdir -p "$runs"
summarize | tee "$runs/summary.md"
echo "table: $runs/summary.md"
