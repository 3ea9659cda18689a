#!/usr/bin/env bash
# The runner resolves oci: layouts and registry references itself (SPEC 4):
# it starts from a registry reference, deploys from an oci: layout, and
# `acuctl deploy` passes registry references on for the runners to pull.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/registry_lib.sh"
A=$ACUCTL
start_registry reg
make_bundle iris v1.acu
$PY - proj-iris/model.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["version"] = "2.0.0"; json.dump(d, open(sys.argv[1], "w"))
PY
$A -q package proj-iris -o v2.acu --key signing.key >/dev/null
expect_exit 0 "push v1 to the registry" -- $A push v1.acu "$REG_ADDR/models/iris:1" --plain-http
expect_exit 0 "push v2 to an oci: layout" -- $A push v2.acu "oci:$WORK/layout:2"

port=$(free_port)
background $A serve --listen "127.0.0.1:$port" --state-dir state --model "$REG_ADDR/models/iris:1" \
  --trust signing.key.pub --plain-http
wait_http "http://127.0.0.1:$port/v2/health/ready" 30 && ok "the runner started from a registry reference" ||
  not_ok "runner not ready"
curl -s -D h1 -o /dev/null -d @proj-iris/example.json "http://127.0.0.1:$port/v2/models/iris/infer"
grep -qi "x-acu-version: 1.0.0" h1 && ok "it serves the pulled 1.0.0" || not_ok "version: $(cat h1)"

expect_exit 0 "deploy an oci: layout reference (read and uploaded by acuctl)" -- \
  $A deploy "oci:$WORK/layout:2" --runner "127.0.0.1:$port"
curl -s -D h2 -o /dev/null -d @proj-iris/example.json "http://127.0.0.1:$port/v2/models/iris/infer"
grep -qi "x-acu-version: 2.0.0" h2 && ok "it serves 2.0.0 from the layout" || not_ok "version: $(cat h2)"

expect_exit 0 "deploy a registry reference (pulled by the runner)" -- \
  $A deploy "$REG_ADDR/models/iris:1" --runner "127.0.0.1:$port"
curl -s -D h3 -o /dev/null -d @proj-iris/example.json "http://127.0.0.1:$port/v2/models/iris/infer"
grep -qi "x-acu-version: 1.0.0" h3 && ok "it serves 1.0.0 pulled from the registry" || not_ok "version: $(cat h3)"

expect_exit 1 "a missing tag is refused and named" -- $A deploy "$REG_ADDR/models/iris:nothere" --runner "127.0.0.1:$port"
expect_err_contains "nothere" "the error names the reference"
curl -s -D h4 -o /dev/null -d @proj-iris/example.json "http://127.0.0.1:$port/v2/models/iris/infer"
grep -qi "x-acu-version: 1.0.0" h4 && ok "serving is unchanged after the refusal" || not_ok "version: $(cat h4)"
finish
