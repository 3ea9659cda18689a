#!/usr/bin/env bash
# The same rollouts decided from a real Prometheus (scraping two real
# runners) and from the runners' own /metrics: the same plan gives the same
# verdicts — good version promoted (0), faulty version rolled back (4), no
# traffic inconclusive (5).
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/rollout_helpers.sh"
PROMETHEUS=/usr/bin/prometheus
[[ -x $PROMETHEUS ]] || { echo "SKIP: $PROMETHEUS not installed (apt-get install prometheus)"; exit 77; }

make_versions
start_fleet 2
prom_port=$(free_port)
targets=$(printf '"%s",' "${URLS[@]#http://}"); targets=${targets%,}
cat >prometheus.yml <<YAML
global:
  scrape_interval: 500ms
  scrape_timeout: 500ms
scrape_configs:
  - job_name: runners
    static_configs:
      - targets: [$targets]
YAML
background $PROMETHEUS --config.file=prometheus.yml --storage.tsdb.path=tsdb \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >prometheus.log 2>&1
wait_http "http://127.0.0.1:$prom_port/-/ready" 60 || { cat prometheus.log; exit 1; }
ok "prometheus scrapes both runners every 500ms"

# One plan, two sources. Windows of 2 s hold 4 scrapes, enough for rate().
plan() { # SOURCE → plan JSON
  local metrics='{"source": "runners"}'
  [[ $1 == prometheus ]] && metrics="{\"source\": \"prometheus\", \"url\": \"http://127.0.0.1:$prom_port\"}"
  cat <<JSON
{"steps": [{"weight": 50, "duration": "4s"}, {"weight": 100, "duration": "4s"}],
 "analysis": {"interval": "2s", "min_requests": 20, "inconclusive_limit": 2,
   "checks": [{"metric": "error_rate", "max": 0.05}, {"metric": "latency_p99", "max": "250ms"}]},
 "metrics": $metrics}
JSON
}
plan runners >runners.json
plan prometheus >prometheus.json

for source in prometheus runners; do
  expect_exit 4 "$source: faulty 3.0.0 rolled back (exit 4)" -- \
    "$ACUCTL" -o json rollout p3.acu --runner "$RUNNERS" --plan $source.json --load-rps 120
  cp last.out faulty-$source.jsonl
  events_check faulty-$source.jsonl 'ev[-1]["result"]=="rolled_back" and "error_rate" in ev[-1]["reason"]' "$source: reason names error_rate"
  fleet_is 1.0.0 "$source: runners back on 1.0.0"

  expect_exit 5 "$source: no traffic is inconclusive (exit 5)" -- \
    "$ACUCTL" -o json rollout p2.acu --runner "$RUNNERS" --plan $source.json
  cp last.out quiet-$source.jsonl
  events_check quiet-$source.jsonl 'not any(e["event"]=="analysis" and e["outcome"]=="pass" for e in ev)' "$source: no window passed without traffic"
  fleet_is 1.0.0 "$source: runners back on 1.0.0 after the inconclusive rollout"
done

expect_exit 0 "prometheus: good 2.0.0 promoted (exit 0)" -- \
  "$ACUCTL" -o json rollout p2.acu --runner "$RUNNERS" --plan prometheus.json --load-rps 120
cp last.out good-prometheus.jsonl
fleet_is 2.0.0 "prometheus: both runners stable on 2.0.0"
events_check good-prometheus.jsonl 'all(e["measurement"]["canary"]["requests"] is not None for e in ev if e["event"]=="analysis" and e["outcome"]=="pass")' "prometheus: passing windows had canary requests"
# Back to 1.0.0 so the runners source judges the same good version.
"$ACUCTL" rollback --runner "$RUNNERS" >/dev/null
fleet_is 1.0.0 "rollback restores 1.0.0"
expect_exit 0 "runners: good 2.0.0 promoted (exit 0)" -- \
  "$ACUCTL" -o json rollout p2.acu --runner "$RUNNERS" --plan runners.json --load-rps 120
fleet_is 2.0.0 "runners: both runners stable on 2.0.0"
finish
