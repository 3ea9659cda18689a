# Shared helpers for integration tests (sourced). Each test_*.sh is one CTest
# test; CTest sets ACUCTL (the binary), ACUCTL_SOURCE_DIR and ACUCTL_BUILD_DIR.
set -euo pipefail
: "${ACUCTL:?run through ctest, or set ACUCTL to the acuctl binary}"
: "${ACUCTL_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
PY=/usr/bin/python3  # Debian's python, with python3-jsonschema and python3-xgboost
WORK=$(mktemp -d /tmp/acuctl-it.XXXXXX)
_pids=()
cleanup() {
  local pid
  for pid in "${_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }

# expect_exit CODE DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit code,
# keeps its stderr in $WORK/last.err and stdout in $WORK/last.out.
expect_exit() {
  local want=$1 what=$2; shift 3
  local rc=0
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
  if [[ $rc -eq $want ]]; then ok "$what (exit $rc)"; else
    not_ok "$what: exit $rc, expected $want"; sed 's/^/    /' "$WORK/last.err" | head -5; fi
}

# expect_err_contains TEXT DESCRIPTION: the last command's stderr names TEXT.
expect_err_contains() {
  if grep -qF -- "$1" "$WORK/last.err"; then ok "$2"; else
    not_ok "$2: stderr lacks '$1'"; sed 's/^/    /' "$WORK/last.err" | head -5; fi
}

# Starts a background process that cleanup() stops.
background() { "$@" & _pids+=($!); }

# A free TCP port on loopback.
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_http URL [SECONDS]: waits until URL answers 200.
wait_http() {
  local url=$1 deadline=$((SECONDS + ${2:-20}))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "timed out waiting for $url" >&2; return 1; }
    sleep 0.1
  done
}

finish() {
  echo "$passes passed, $fails failed"
  [[ $fails -eq 0 ]]
}
