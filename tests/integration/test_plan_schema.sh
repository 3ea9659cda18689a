#!/usr/bin/env bash
# The rollout-plan JSON Schema and acuctl's plan parser agree: every file in
# tests/data/plans is checked against the schema (python3-jsonschema, draft
# 2020-12) and by the C++ parser, each against tests/data/plans/cases.json.
source "$(dirname "$0")/lib.sh"
PLANS=$ACUCTL_SOURCE_DIR/tests/data/plans
SCHEMA=$ACUCTL_SOURCE_DIR/schemas/rollout-plan.schema.json

expect_exit 0 "the schema is a valid draft 2020-12 schema" -- $PY -c '
import json, sys, jsonschema
jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' "$SCHEMA"

# One line per file: "<file> <schema-verdict-as-expected>".
$PY - "$SCHEMA" "$PLANS" >"$WORK/schema.txt" <<'PYEOF'
import json, os, sys, jsonschema
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
cases = json.load(open(os.path.join(sys.argv[2], "cases.json")))
files = sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".json") and f != "cases.json")
for f in files:
    doc = json.load(open(os.path.join(sys.argv[2], f)))
    valid = validator.is_valid(doc)
    want = cases.get(f, {}).get("schema")
    why = "" if valid else next(iter(validator.iter_errors(doc))).message[:80]
    print(f, "listed" if f in cases else "unlisted", "valid" if valid else "invalid", "ok" if valid == want else "MISMATCH", why)
PYEOF
while read -r file listed verdict match why; do
  if [[ $listed == listed && $match == ok ]]; then ok "schema says $file is $verdict${why:+ ($why)}"
  else not_ok "schema verdict on $file: $listed, $verdict, expected otherwise"; fi
done <"$WORK/schema.txt"
[[ -s $WORK/schema.txt ]] || not_ok "no plan files found in $PLANS"

# The same files through the C++ parser (the doctest case reads cases.json).
expect_exit 0 "the C++ parser agrees with cases.json on every plan file" -- \
  "$ACUCTL_BUILD_DIR/acuctl_tests" "-tc=plan files: the parser accepts*"
grep -q "1 passed" "$WORK/last.out" && ok "the parser test ran" || not_ok "the parser test did not run"

finish
