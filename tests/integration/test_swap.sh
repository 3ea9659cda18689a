#!/usr/bin/env bash
# Hot swap under load: wrk with 32 connections on loopback while 10 deploys
# alternate two versions; no request may fail and no connection may drop.
# Then 100 more swaps: the runner's RSS stays within 10% of its RSS after
# the first 10 (replaced models are really freed).
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

fixture_bundles 1.0.0 2.0.0
start_runner r --state-dir s --model p1.acu --allow-unsigned --threads 2
U=$RUNNER_URL
# Upload both once; the deploys then go by digest, as acuctl deploy does.
D1=sha256:$(sha256sum p1.acu | cut -d' ' -f1)
D2=sha256:$(sha256sum p2.acu | cut -d' ' -f1)
curl -fsS -o /dev/null -X PUT --data-binary @p1.acu "$U/admin/v1/bundles/$D1"
curl -fsS -o /dev/null -X PUT --data-binary @p2.acu "$U/admin/v1/bundles/$D2"
deploy() { curl -sS -o "$WORK/deploy.out" -w '%{http_code}' -X POST -d "{\"ref\":\"$1\"}" "$U/admin/v1/deploy"; }

BODY_FILE=p1/example.json wrk -t2 -c32 -d12s -s "$ACUCTL_SOURCE_DIR/tests/bench/post.lua" "$U/v2/models/fixture/infer" >wrk.out 2>&1 &
WRK=$!
sleep 1
failed=0
for i in $(seq 1 10); do
  if (( i % 2 )); then code=$(deploy "$D2"); else code=$(deploy "$D1"); fi
  [[ "$code" == 200 ]] || { failed=$((failed + 1)); cat deploy.out; }
  sleep 0.5
done
wait "$WRK"
[[ $failed -eq 0 ]] && ok "10 deploys under load answered 200" || not_ok "$failed deploys failed"
line=$(grep '^RESULT' wrk.out || true)
echo "    $line"
[[ "$line" =~ requests=([0-9]+).*errors=([0-9]+)\ non2xx=([0-9]+) ]] || { not_ok "no wrk result: $(cat wrk.out)"; finish; exit; }
(( BASH_REMATCH[1] > 1000 )) && ok "wrk sent ${BASH_REMATCH[1]} requests" || not_ok "too few requests"
[[ ${BASH_REMATCH[2]} == 0 ]] && ok "no dropped connection or socket error" || not_ok "${BASH_REMATCH[2]} socket errors"
[[ ${BASH_REMATCH[3]} == 0 ]] && ok "no failed request (non-2xx = 0)" || not_ok "${BASH_REMATCH[3]} failed requests"
curl -sS "$U/admin/v1/state" >state.json
jcheck state.json 'j["stable"]["version"]=="1.0.0" and j["previous"]["version"]=="2.0.0"' "after 10 alternating deploys 1.0.0 is stable, 2.0.0 previous"
curl -sS "$U/metrics" | grep -q 'acu_model_swaps_total{model="fixture",kind="deploy"} 10' && ok "acu_model_swaps_total{kind=deploy} counts 10" || not_ok "swap counter"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$RUNNER_PID/status"; }
for i in $(seq 1 100); do
  if (( i % 2 )); then deploy "$D2" >/dev/null; else deploy "$D1" >/dev/null; fi
  # Requests between swaps, so every model actually serves.
  curl -sS -o /dev/null -X POST -d @p1/example.json "$U/v2/models/fixture/infer"
  [[ $i == 10 ]] && R10=$(rss)
done
R100=$(rss)
echo "    RSS after 10 swaps: $R10 kB, after 100: $R100 kB"
# AddressSanitizer keeps freed memory in quarantine (and its shadow grows), so
# RSS says nothing about released models there; the normal build checks it.
if ldd "$ACUCTL" | grep -q libasan; then
  echo "    (AddressSanitizer build: RSS check skipped; LeakSanitizer checks frees at exit)"
else
  (( R100 * 10 <= R10 * 11 )) && ok "RSS after 100 swaps within 10% of RSS after 10 ($R10 → $R100 kB)" || not_ok "RSS grew: $R10 → $R100 kB"
fi
ls s/models | wc -l | { read -r n; (( n <= 3 )) && ok "the cache keeps only what the slots need ($n model dirs)" || not_ok "$n model dirs left"; }
finish
