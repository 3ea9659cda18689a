# Helpers for the runner's integration tests and benchmarks (sourced after
# tests/integration/lib.sh, or on their own with ACUCTL and ACUCTL_SOURCE_DIR set).

# fixture_project DIR [VERSION] [CONF]: a native fixture model project in DIR,
# its library built from tests/data/fixture_model.c; CONF (e.g.
# "latency_ms=50") goes into fixture.conf.
fixture_project() {
  local dir=$1 version=${2:-1.0.0} conf=${3:-} extra=${4:-}
  mkdir -p "$dir"
  sed "s/\"version\": \"1.0.0\"/\"version\": \"$version\"/" \
    "$ACUCTL_SOURCE_DIR/tests/data/fixture/model.json" >"$dir/model.json"
  cp "$ACUCTL_SOURCE_DIR/tests/data/fixture/example.json" "$dir/"
  # shellcheck disable=SC2086
  cc -shared -fPIC -O2 $extra -I "$ACUCTL_SOURCE_DIR/lib/include" \
    "$ACUCTL_SOURCE_DIR/tests/data/fixture_model.c" -o "$dir/model.so"
  if [[ -n "$conf" ]]; then printf '%s\n' "$conf" | tr ' ' '\n' >"$dir/fixture.conf"; fi
}

# fixture_bundles VERSION...: projects p1, p2, … at those versions, packaged
# unsigned into p1.acu, p2.acu, …
fixture_bundles() {
  local i=1 v
  for v in "$@"; do
    fixture_project "p$i" "$v"
    "$ACUCTL" package "p$i" -o "p$i.acu" >/dev/null 2>&1
    i=$((i + 1))
  done
}

# start_runner NAME ARGS...: starts `acuctl serve` on a free port with its
# stderr in $WORK/NAME.err; sets RUNNER_URL and RUNNER_PID.
start_runner() {
  local name=$1; shift
  local port
  port=$(free_port)
  RUNNER_URL="http://127.0.0.1:$port"
  "$ACUCTL" serve --listen "127.0.0.1:$port" "$@" 2>"$WORK/$name.err" &
  RUNNER_PID=$!
  _pids+=("$RUNNER_PID")
  wait_http "$RUNNER_URL/v2/health/live" 30
}

# jcheck FILE PYTHON-EXPR DESCRIPTION: passes when the expression over the
# JSON document `j` in FILE is true.
jcheck() {
  if $PY -c 'import json,os,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null; then
    ok "$3"
  else
    not_ok "$3: $2 is false for $(head -c 300 "$1")"
  fi
}

# http_expect STATUS DESCRIPTION CURL-ARGS...: body in $WORK/body, headers in $WORK/headers.
http_expect() {
  local want=$1 what=$2; shift 2
  local got
  got=$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@" 2>"$WORK/curl.err") || got="curl-failed"
  if [[ "$got" == "$want" ]]; then ok "$what ($got)"; else
    not_ok "$what: HTTP $got, expected $want"; head -c 300 "$WORK/body" | sed 's/^/    /'; echo; fi
}
