#!/usr/bin/env bash
# keygen, init, package, verify, inspect end to end with the real binary,
# including every tampering the verifier must catch (issue: Foundation).
source "$(dirname "$0")/lib.sh"
A=$ACUCTL
T=$ACUCTL_SOURCE_DIR/tests/integration

# 1. keygen: PKCS#8 + SPKI, 0600, no silent overwrite.
expect_exit 0 "keygen writes a key pair" -- $A keygen -o k
[[ $(stat -c %a k) == 600 ]] && ok "private key is mode 0600" || not_ok "private key mode $(stat -c %a k)"
grep -q "BEGIN PRIVATE KEY" k && ok "private key is PKCS#8 PEM" || not_ok "private key format"
grep -q "BEGIN PUBLIC KEY" k.pub && ok "public key is SPKI PEM" || not_ok "public key format"
openssl pkey -in k -noout 2>/dev/null && ok "openssl reads the private key" || not_ok "openssl cannot read the key"
before=$(sha256sum k)
expect_exit 1 "keygen refuses to overwrite" -- $A keygen -o k
expect_err_contains "--force" "the refusal says how to overwrite"
[[ $(sha256sum k) == "$before" ]] && ok "the existing key is untouched" || not_ok "the key changed"
expect_exit 0 "keygen --force replaces" -- $A keygen -o k --force
expect_exit 0 "a second key" -- $A keygen -o other

# 6. init makes projects that package and verify as they are.
for t in xgboost native; do
  expect_exit 0 "init --template $t" -- $A init "$t-proj" --template $t
  expect_exit 0 "package the $t project" -- $A package "$t-proj" -o "$t.acu" --key k
  grep -qE '^sha256:[0-9a-f]{64}$' last.out && ok "package prints the bundle digest" || not_ok "package output: $(cat last.out)"
  [[ $(cat last.out) == "sha256:$(sha256sum "$t.acu" | cut -d' ' -f1)" ]] && ok "the digest is the file's sha256" || not_ok "digest mismatch"
  expect_exit 0 "verify the $t bundle with its key" -- $A verify "$t.acu" --key k.pub
done
expect_exit 2 "init with an unknown template is a usage error" -- $A init p3 --template onnx
expect_err_contains "available templates" "the error lists the templates"
expect_exit 1 "init refuses a non-empty directory" -- $A init xgboost-proj --template xgboost

# 2. stock openssl verifies the signature over manifest.json.
mkdir x && tar --zstd -xf xgboost.acu -C x
[[ $(tar --zstd -tf xgboost.acu | head -1) == manifest.json ]] && ok "manifest.json is the first entry" || not_ok "first entry"
openssl dgst -sha256 -verify k.pub -signature x/manifest.sig x/manifest.json > ossl.out 2>&1
grep -q "Verified OK" ossl.out && ok "openssl dgst prints Verified OK" || not_ok "openssl: $(cat ossl.out)"
keyid="sha256:$(openssl pkey -pubin -in k.pub -outform DER | sha256sum | cut -d' ' -f1)"
grep -q "\"key_id\": \"$keyid\"" x/manifest.json && ok "key_id is the SHA-256 of the SPKI DER" || not_ok "key_id"

# Schemas accept what we write.
$PY "$T/validate_json.py" "$ACUCTL_SOURCE_DIR/schemas/manifest.schema.json" x/manifest.json &&
  ok "manifest.json validates against manifest.schema.json" || not_ok "manifest schema"
$PY "$T/validate_json.py" "$ACUCTL_SOURCE_DIR/schemas/model.schema.json" xgboost-proj/model.json native-proj/model.json &&
  ok "template descriptors validate against model.schema.json" || not_ok "model schema"

# Compressions.
for c in gzip none; do
  expect_exit 0 "package --compression $c" -- $A package xgboost-proj -o "c-$c.acu" --key k --compression $c
  expect_exit 0 "verify the $c bundle" -- $A verify "c-$c.acu" --key k.pub
done
file c-gzip.acu | grep -q gzip && ok "gzip bundle is gzip" || not_ok "gzip bundle format"
tar -tf c-none.acu >/dev/null && ok "uncompressed bundle is a plain tar" || not_ok "plain tar"

# The unpacked-size limit (default 16 GiB) is configurable.
expect_exit 3 "ACUCTL_MAX_BUNDLE_SIZE=1KiB: a larger bundle is refused" -- env ACUCTL_MAX_BUNDLE_SIZE=1KiB $A verify xgboost.acu --key k.pub
expect_err_contains "over the limit of 1024" "…naming the limit"
expect_exit 0 "ACUCTL_MAX_BUNDLE_SIZE=1GiB: it verifies" -- env ACUCTL_MAX_BUNDLE_SIZE=1GiB $A verify xgboost.acu --key k.pub
expect_exit 2 "a malformed ACUCTL_MAX_BUNDLE_SIZE is a usage error" -- env ACUCTL_MAX_BUNDLE_SIZE=big $A verify xgboost.acu
expect_err_contains "ACUCTL_MAX_BUNDLE_SIZE 'big'" "…naming the variable"

# 3. every tampering is exit 3, naming the entry and the reason.
expect_exit 3 "verify with the wrong key" -- $A verify xgboost.acu --key other.pub
expect_err_contains "does not verify with the trusted key" "wrong key is named"
expect_exit 3 "-o json verify with the wrong key" -- $A -o json verify xgboost.acu --key other.pub
$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["ok"] is False and j["exit"]==3 and "does not verify" in j["error"] else 1)' last.out \
  && ok "…the failure is the JSON document on stdout" || not_ok "-o json failure document: $(cat last.out)"
check_tamper() {
  local action=$1 text=$2
  $PY "$T/tamper_bundle.py" xgboost.acu "t-$action.acu" "$action"
  expect_exit 3 "verify refuses $action" -- $A verify "t-$action.acu" --key k.pub
  expect_err_contains "$text" "$action: message names '$text'"
}
check_tamper flip-model-byte "does not match its sha256 digest"
check_tamper extra-entry "entry 'model/extra.bin' is not listed in the manifest"
check_tamper missing-entry "is listed in the manifest but missing"
check_tamper edit-manifest "does not verify with the trusted key"
check_tamper dotdot "entry '../acuctl-escape-x' escapes the bundle"
check_tamper absolute "is an absolute path"
check_tamper symlink "entry 'model/link' is a symbolic link"
check_tamper hardlink "entry 'model/hard' is a hard link"
check_tamper device "entry 'model/dev' is a character device"
check_tamper duplicate "appears twice"
[[ ! -e ../acuctl-escape-x && ! -e /tmp/acuctl-absolute-x ]] && ok "nothing was written outside" || not_ok "a file escaped"
# Without --key the digests are still checked.
expect_exit 3 "a changed byte fails even without --key" -- $A verify t-flip-model-byte.acu

# 4. package refuses bad projects, naming the key or path.
bad_project() {
  local what=$1 text=$2 edit=$3
  rm -rf bad && cp -r xgboost-proj bad
  $PY - bad/model.json "$edit" <<'PYEOF'
import json, sys
p, edit = sys.argv[1], sys.argv[2]
d = json.load(open(p))
exec(edit)
json.dump(d, open(p, "w"))
PYEOF
  expect_exit 1 "package refuses $what" -- $A package bad -o bad.acu --key k
  expect_err_contains "$text" "$what: message names '$text'"
  [[ ! -e bad.acu ]] && ok "$what: no bundle left behind" || not_ok "$what: bad.acu exists"
}
bad_project "an unknown key" "unknown key 'modle'" 'd["modle"] = "x"'
bad_project "a missing field" "missing required key 'runtime'" 'del d["runtime"]'
bad_project "a bad name" "bad name 'Iris Model'" 'd["name"] = "Iris Model"'
bad_project "a bad version" "bad version '1 0'" 'd["version"] = "1 0"'
bad_project "an unknown runtime" "unknown runtime 'onnx'" 'd["runtime"] = "onnx"'
bad_project "an unknown datatype" "unknown datatype 'FLOAT'" 'd["inputs"][0]["datatype"] = "FLOAT"'
bad_project "a missing model file" "model 'nothere.json' does not exist" 'd["model"] = "nothere.json"'
bad_project "a model path escaping" "model path '../k' escapes the project" 'd["model"] = "../k"'
bad_project "an example path escaping" "example path '/etc/passwd' escapes the project" 'd["example"] = "/etc/passwd"'
expect_exit 1 "package of a directory without model.json" -- $A package x -o y.acu
expect_err_contains "no model.json" "names the missing descriptor"
rm -rf linked && cp -r xgboost-proj linked && ln -s /etc/hostname linked/host-file
expect_exit 1 "package refuses a symlink to a file outside the project" -- $A package linked -o linked.acu
expect_err_contains "outside the project" "…naming the link"
[[ ! -e linked.acu ]] && ok "…and no bundle is left behind" || not_ok "linked.acu exists"
rm linked/host-file && ln -s iris.json linked/alias.json
expect_exit 0 "a symlink to a file inside the project is packaged as that file" -- $A package linked -o linked.acu

# 5. inspect -o json.
expect_exit 0 "inspect -o json" -- $A -o json inspect xgboost.acu
$PY - last.out "$(sha256sum xgboost.acu | cut -d' ' -f1)" "$keyid" <<'PYEOF' && ok "inspect json has every field" || not_ok "inspect json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["name"] == "iris" and j["version"] == "1.0.0" and j["runtime"] == "xgboost", j
assert j["inputs"][0]["name"] == "features" and j["outputs"][0]["shape"] == [-1, 3]
assert {f["path"] for f in j["files"]} == {"model/example.json", "model/iris.json", "model/model.json"}
assert j["key_id"] == sys.argv[3], j["key_id"]
assert j["signer"] == sys.argv[3] and j["signed"] is True, j
assert j["digest"] == "sha256:" + sys.argv[2]
assert j["schema"] == "acuctl.bundle/v1"
PYEOF
expect_exit 0 "inspect in text" -- $A inspect native.acu
grep -q "runtime:  native" last.out && ok "text inspect shows the runtime" || not_ok "text inspect"
expect_exit 1 "inspect of a missing file" -- $A inspect nothere.acu
expect_err_contains "nothere.acu" "the error names the file"
expect_exit 2 "an unknown flag is a usage error" -- $A verify --bogus
expect_exit 2 "an unknown command is a usage error" -- $A -o json bogus
expect_err_contains "unknown command 'bogus'" "…naming the command"
expect_exit 0 "--version" -- $A --version
grep -q "^acuctl " last.out && ok "--version prints the version" || not_ok "--version output"
# Colour only on a terminal, and never with NO_COLOR or --no-color (script gives a pty).
script -qec "$A verify nothere.acu" /dev/null > tty.out 2>&1 || true
grep -q $'\033\\[31m' tty.out && ok "errors are red on a terminal" || not_ok "no colour on a terminal"
NO_COLOR=1 script -qec "$A verify nothere.acu" /dev/null > tty.out 2>&1 || true
grep -q $'\033' tty.out && not_ok "NO_COLOR still coloured" || ok "NO_COLOR: no escape codes"
script -qec "$A --no-color verify nothere.acu" /dev/null > tty.out 2>&1 || true
grep -q $'\033' tty.out && not_ok "--no-color still coloured" || ok "--no-color: no escape codes"
expect_exit 0 "-q keeps stdout quiet" -- $A -q verify xgboost.acu --key k.pub
[[ ! -s last.out ]] && ok "quiet verify prints nothing" || not_ok "quiet output: $(cat last.out)"
finish
