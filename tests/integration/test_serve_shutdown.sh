#!/usr/bin/env bash
# SIGTERM under load: the runner stops accepting, finishes the requests in
# flight and exits 0.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

fixture_project slow 1.0.0 "latency_ms=1500"
"$ACUCTL" package slow -o slow.acu >/dev/null 2>&1
start_runner slow --state-dir state --model slow.acu --allow-unsigned --threads 4 --shutdown-timeout 120s

# Eight requests, each taking 1.5 s inside the model, then SIGTERM while they run.
for i in $(seq 1 8); do
  curl -sS -o "out$i.json" -w '%{http_code}' -d @slow/example.json "$RUNNER_URL/v2/models/fixture/infer" >"code$i" 2>"curl$i.err" &
  _pids+=($!)
  curl_pids+=($!)
done
# An idle keep-alive connection must not hold the shutdown up.
$PY -c "import socket,time; s=socket.create_connection(('127.0.0.1', ${RUNNER_URL##*:})); time.sleep(30)" &
_pids+=($!)
sleep 0.7
kill -TERM "$RUNNER_PID"
term_at=$SECONDS
sleep 0.2
if curl -s -o /dev/null --max-time 2 "$RUNNER_URL/v2/health/live"; then not_ok "still accepting after SIGTERM"; else ok "stops accepting on SIGTERM"; fi
rc=0
wait "$RUNNER_PID" || rc=$?
if [[ $rc -eq 0 ]]; then ok "exit 0 after SIGTERM"; else not_ok "exit $rc after SIGTERM"; fi
# Idle connections do not hold the exit up until --shutdown-timeout (120 s).
if (( SECONDS - term_at < 60 )); then ok "exits once in-flight requests are done"; else not_ok "exit took $((SECONDS - term_at)) s"; fi
for p in "${curl_pids[@]}"; do wait "$p" || true; done
good=0
for i in $(seq 1 8); do [[ "$(cat "code$i")" == 200 ]] && grep -q '"model_version":"1.0.0"' "out$i.json" && good=$((good + 1)); done
if [[ $good -eq 8 ]]; then ok "all 8 in-flight requests completed with 200"; else not_ok "$good of 8 in-flight requests completed"; cat code* curl*.err; fi
finish
