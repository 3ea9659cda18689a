#!/usr/bin/env bash
# The Prometheus metrics source against a real Prometheus (Debian's 2.42):
# Prometheus scrapes a /metrics endpoint served from a file the test rewrites;
# the live doctest cases then compare our histogram_quantile with Prometheus'
# on the same buckets, and the default PromQL with the runner /metrics source.
source "$(dirname "$0")/lib.sh"
PROMETHEUS=/usr/bin/prometheus
[[ -x $PROMETHEUS ]] || { echo "SKIP: $PROMETHEUS not installed (apt-get install prometheus)"; exit 77; }

mkdir -p "$WORK/www" "$WORK/tsdb"
metrics_port=$(free_port)
prom_port=$(free_port)
background $PY -m http.server --bind 127.0.0.1 --directory "$WORK/www" "$metrics_port" >"$WORK/http.log" 2>&1
cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: runner
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
YAML
background $PROMETHEUS --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$WORK/prometheus.log" 2>&1
wait_http "http://127.0.0.1:$prom_port/-/ready" 60 || { cat "$WORK/prometheus.log"; exit 1; }
ok "prometheus is ready on 127.0.0.1:$prom_port"

export ACUCTL_PROMETHEUS_URL="http://127.0.0.1:$prom_port"
export ACUCTL_METRICS_FILE="$WORK/www/metrics"
export ACUCTL_METRICS_URL="http://127.0.0.1:$metrics_port"
expect_exit 0 "live prometheus source cases pass" -- \
  "$ACUCTL_BUILD_DIR/acuctl_tests" "-tc=prometheus source (live)*" -s
if grep -q "skipped:" "$WORK/last.out"; then not_ok "the live cases were skipped"; else ok "the live cases ran"; fi
# Evidence for the report: how many comparisons ran.
grep -E "assertions:" "$WORK/last.out" | sed 's/^/    /'
[[ $fails -eq 0 ]] || { tail -40 "$WORK/last.out"; tail -5 "$WORK/prometheus.log"; }

finish
