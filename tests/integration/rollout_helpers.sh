# Helpers for the rollout integration tests (sourced after lib.sh and
# tests/data/serve_helpers.sh): fixture versions, two runners, state checks.

# make_versions: p1 1.0.0, p2 2.0.0 (good), p3 3.0.0 (fails a third of its
# requests), p4 4.0.0 (80 ms per request) as bundles pN.acu.
make_versions() {
  fixture_project p1 1.0.0
  fixture_project p2 2.0.0
  fixture_project p3 3.0.0 "fail_rate=0.3334"
  fixture_project p4 4.0.0 "latency_ms=80"
  local p
  for p in p1 p2 p3 p4; do "$ACUCTL" package $p -o $p.acu >/dev/null 2>&1; done
}

# start_fleet N: N runners serving p1.acu; RUNNERS="url,url", URLS=(…), PIDS=(…).
start_fleet() {
  URLS=(); PIDS=()
  local i
  for ((i = 0; i < $1; i++)); do
    start_runner "r$i" --state-dir "s$i" --model p1.acu --allow-unsigned --threads 2
    URLS+=("$RUNNER_URL"); PIDS+=("$RUNNER_PID")
  done
  RUNNERS=$(IFS=,; echo "${URLS[*]}")
}

# state_of URL > file
state_of() { curl -sS "$1/admin/v1/state"; }

# fleet_is STABLE DESCRIPTION: every runner in URLS serves STABLE and no canary.
fleet_is() {
  local u bad=""
  for u in "${URLS[@]}"; do
    state_of "$u" >"$WORK/st.json" || { bad+=" $u:unreachable"; continue; }
    $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if (j["stable"] or {}).get("version")==sys.argv[2] and j["canary"] is None else 1)' \
      "$WORK/st.json" "$1" || bad+=" $u:$(head -c 200 "$WORK/st.json")"
  done
  if [[ -z "$bad" ]]; then ok "$2"; else not_ok "$2:$bad"; fi
}

# wait_canary URL [SECONDS]: until URL has a canary.
wait_canary() {
  local deadline=$((SECONDS + ${2:-30}))
  until state_of "$1" 2>/dev/null | grep -q '"canary":{'; do
    (( SECONDS < deadline )) || return 1
    sleep 0.1
  done
}

# wait_no_canary URL SECONDS: until URL has no canary.
wait_no_canary() {
  local deadline=$((SECONDS + $2))
  until state_of "$1" 2>/dev/null | grep -q '"canary":null'; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

# events_check FILE PYTHON-EXPR DESCRIPTION: `ev` is the list of JSON-lines events in FILE.
events_check() {
  if $PY -c 'import json,sys; ev=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>"$WORK/ev.err"; then
    ok "$3"
  else
    not_ok "$3: $2 is false"; grep -E '"event":"(analysis|rollback|result)"' "$1" | tail -4 | cut -c1-400 | sed 's/^/    /'
    sed 's/^/    /' "$WORK/ev.err" | tail -3
  fi
}
