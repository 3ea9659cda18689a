# Helpers for the registry integration tests (sourced after lib.sh): a real
# Debian docker-registry on a free loopback port with a temporary storage
# directory, anonymous or with htpasswd basic auth, and bundles made with the
# real binary.
command -v docker-registry >/dev/null || { echo "docker-registry not installed; skipping"; exit 77; }
command -v skopeo >/dev/null || { echo "skopeo not installed; skipping"; exit 77; }

# start_registry NAME [HTPASSWD_FILE]: sets REG_PORT, REG_ADDR, REG_STORE, REG_LOG.
start_registry() {
  local name=$1 htpasswd=${2:-}
  REG_PORT=$(free_port)
  REG_ADDR=127.0.0.1:$REG_PORT
  REG_STORE=$WORK/$name-store
  REG_LOG=$WORK/$name.log
  mkdir -p "$REG_STORE"
  {
    echo "version: 0.1"
    echo "log: {level: info}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $REG_STORE}"
    echo "  delete: {enabled: true}"
    echo "http:"
    echo "  addr: $REG_ADDR"
    echo "  secret: acuctl-test-secret"
    if [[ -n $htpasswd ]]; then
      echo "auth:"
      echo "  htpasswd: {realm: acuctl-test, path: $htpasswd}"
    fi
  } >"$WORK/$name.yml"
  background docker-registry serve "$WORK/$name.yml" >"$REG_LOG" 2>&1
  local deadline=$((SECONDS + 20)) code
  until code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REG_ADDR/v2/") && [[ $code == 200 || $code == 401 ]]; do
    (( SECONDS < deadline )) || { echo "registry $name did not start"; cat "$REG_LOG"; exit 1; }
    sleep 0.1
  done
}

# make_bundle NAME OUT.acu [COMPRESSION]: a signed bundle of the xgboost
# template, made with the real binary (key in $WORK/signing.key).
make_bundle() {
  local name=$1 out=$2 compression=${3:-zstd}
  [[ -f $WORK/signing.key ]] || "$ACUCTL" keygen -o "$WORK/signing.key" >/dev/null 2>&1
  [[ -d $WORK/proj-$name ]] || "$ACUCTL" init "$WORK/proj-$name" --template xgboost >/dev/null 2>&1
  "$ACUCTL" -q package "$WORK/proj-$name" -o "$out" --key "$WORK/signing.key" --compression "$compression" >/dev/null
}

# count_requests METHOD PATTERN: access-log lines of the current registry.
count_requests() { grep -cE "\"$1 [^\"]*$2" "$REG_LOG" || true; }

# json_get FILE EXPR: evaluates a Python expression over the JSON document `j`.
json_get() { $PY -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# check DESCRIPTION COMMAND...: passes if COMMAND succeeds.
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
