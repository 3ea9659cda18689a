#!/usr/bin/env bash
# push/pull/inspect/verify against a real anonymous docker-registry on
# loopback, read back with skopeo; corruption, missing refs, unreachable hosts.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/registry_lib.sh"

start_registry anon
make_bundle iris iris.acu
REF=$REG_ADDR/models/iris

# 1. push prints the manifest digest; skopeo sees the SPEC section 5 artifact.
expect_exit 0 "push to docker-registry" -- "$ACUCTL" push iris.acu "$REF:v1" --plain-http
DIGEST=$(cat last.out)
check "push prints only the manifest digest" grep -qxE 'sha256:[0-9a-f]{64}' last.out
skopeo inspect --raw --tls-verify=false "docker://$REF:v1" >manifest.json
check "skopeo: manifest digest is the one printed" [ "sha256:$(sha256sum <manifest.json | cut -d' ' -f1)" = "$DIGEST" ]
check "skopeo: artifactType" [ "$(json_get manifest.json 'j["artifactType"]')" = application/vnd.acuctl.model.v1 ]
check "skopeo: manifest media type" [ "$(json_get manifest.json 'j["mediaType"]')" = application/vnd.oci.image.manifest.v1+json ]
check "skopeo: config media type" [ "$(json_get manifest.json 'j["config"]["mediaType"]')" = application/vnd.acuctl.model.manifest.v1+json ]
check "skopeo: one layer" [ "$(json_get manifest.json 'len(j["layers"])')" = 1 ]
check "skopeo: zstd bundle layer" [ "$(json_get manifest.json 'j["layers"][0]["mediaType"]')" = application/vnd.acuctl.model.bundle.v1.tar+zstd ]
check "skopeo: layer digest is the bundle's" [ "$(json_get manifest.json 'j["layers"][0]["digest"]')" = "sha256:$(sha256sum <iris.acu | cut -d' ' -f1)" ]
check "skopeo: layer title annotation" [ "$(json_get manifest.json 'j["layers"][0]["annotations"]["org.opencontainers.image.title"]')" = iris.acu ]
check "skopeo: name/version/created annotations" [ "$(json_get manifest.json 'j["annotations"]["org.opencontainers.image.title"]+" "+j["annotations"]["org.opencontainers.image.version"]+" "+str(len(j["annotations"]["org.opencontainers.image.created"])>0)')" = "iris 1.0.0 True" ]
CONFIG_DIGEST=$(json_get manifest.json 'j["config"]["digest"]')
LAYER_DIGEST=$(json_get manifest.json 'j["layers"][0]["digest"]')
zstd -dc iris.acu | tar -xO manifest.json >bundle-manifest.json
check "config blob is the exact bytes of the bundle's manifest.json" \
  [ "$CONFIG_DIGEST" = "sha256:$(sha256sum <bundle-manifest.json | cut -d' ' -f1)" ]

# 2. pull by tag and by digest: byte-identical.
expect_exit 0 "pull by tag" -- "$ACUCTL" pull "$REF:v1" -o by-tag.acu --plain-http
check "pull by tag is byte-identical" cmp -s by-tag.acu iris.acu
check "pull prints the manifest digest" grep -qx "$DIGEST" last.out
expect_exit 0 "pull by digest" -- "$ACUCTL" pull "$REF@$DIGEST" -o by-digest.acu --plain-http
check "pull by digest is byte-identical" cmp -s by-digest.acu iris.acu
expect_exit 0 "pull -o json" -- "$ACUCTL" -o json pull "$REF:v1" -o json.acu --plain-http
check "pull json: digest, reference, size" [ "$(json_get last.out 'j["digest"]+" "+j["reference"]+" "+str(j["size"])')" = "$DIGEST $REF:v1 $(stat -c %s iris.acu)" ]

# inspect reads the config blob only; verify pulls and checks the signature.
before=$(count_requests GET "/blobs/$LAYER_DIGEST")
expect_exit 0 "inspect a registry reference" -- "$ACUCTL" -o json inspect "$REF:v1" --plain-http
check "inspect shows the bundle's name and version" [ "$(json_get last.out 'j["name"]+" "+j["version"]')" = "iris 1.0.0" ]
check "inspect shows the manifest digest" [ "$(json_get last.out 'j["digest"]')" = "$DIGEST" ]
check "inspect did not download the bundle layer" [ "$(count_requests GET "/blobs/$LAYER_DIGEST")" = "$before" ]
check "inspect fetched the config blob" [ "$(count_requests GET "/blobs/$CONFIG_DIGEST")" -ge 1 ]
expect_exit 0 "verify a registry reference with the signing key" -- "$ACUCTL" verify "$REF:v1" --plain-http --key "$WORK/signing.key.pub"
"$ACUCTL" keygen -o other.key >/dev/null 2>&1
expect_exit 3 "verify a registry reference against another key" -- "$ACUCTL" verify "$REF:v1" --plain-http --key other.key.pub
expect_err_contains "'$REF:v1'" "…the error names the reference"
grep -q "acuctl-pull" "$WORK/last.err" && not_ok "…and not a temporary file: $(cat "$WORK/last.err")" || ok "…and not a temporary file"

# 6. pushing the same bundle twice uploads no blob.
uploads_before=$(count_requests '(POST|PATCH|PUT)' '/blobs/uploads/')
expect_exit 0 "push the same bundle again" -- "$ACUCTL" -o json push iris.acu "$REF:v1" --plain-http
check "second push: blobs_uploaded is 0" [ "$(json_get last.out 'j["blobs_uploaded"]')" = 0 ]
check "second push: same digest" [ "$(json_get last.out 'j["digest"]')" = "$DIGEST" ]
check "second push: the registry saw no blob upload" [ "$(count_requests '(POST|PATCH|PUT)' '/blobs/uploads/')" = "$uploads_before" ]

# Other compressions get their media types.
make_bundle iris iris-gz.acu gzip
make_bundle iris iris-none.acu none
"$ACUCTL" -q push iris-gz.acu "$REF:gz" --plain-http >/dev/null
"$ACUCTL" -q push iris-none.acu "$REF:none" --plain-http >/dev/null
check "gzip bundle layer media type" [ "$(skopeo inspect --raw --tls-verify=false "docker://$REF:gz" | $PY -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["mediaType"])')" = application/vnd.acuctl.model.bundle.v1.tar+gzip ]
check "uncompressed bundle layer media type" [ "$(skopeo inspect --raw --tls-verify=false "docker://$REF:none" | $PY -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["mediaType"])')" = application/vnd.acuctl.model.bundle.v1.tar ]

# Chunked upload (PATCH, following each Location) of a larger bundle.
mkdir -p big && cp -r "$WORK/proj-iris/." big/ && head -c 5000000 /dev/urandom >big/weights.bin
"$ACUCTL" -q package big -o big.acu --compression none >/dev/null 2>&1
patches_before=$(count_requests PATCH /blobs/uploads/)
expect_exit 0 "chunked push (1 MiB chunks)" -- "$ACUCTL" push big.acu "$REG_ADDR/models/big:v1" --plain-http --chunk-size 1MiB
check "the registry saw at least 5 PATCH chunks" [ $(( $(count_requests PATCH /blobs/uploads/) - patches_before )) -ge 5 ]
expect_exit 0 "pull the chunked upload" -- "$ACUCTL" pull "$REG_ADDR/models/big:v1" -o big-pulled.acu --plain-http
check "chunked upload round-trips byte-identical" cmp -s big-pulled.acu big.acu
expect_exit 0 "monolithic push (--chunk-size 0)" -- "$ACUCTL" push big.acu "$REG_ADDR/models/big-mono:v1" --plain-http --chunk-size 0

# 5. missing repository or tag; unreachable registry; TLS to a plain-HTTP registry.
expect_exit 1 "pull a missing tag" -- "$ACUCTL" pull "$REF:nope" -o missing.acu --plain-http
expect_err_contains "$REF:nope" "missing tag: the error names the reference"
expect_err_contains "not found" "missing tag: the error says not found"
expect_exit 1 "pull from a missing repository" -- "$ACUCTL" pull "$REG_ADDR/no/such:v1" -o missing.acu --plain-http
expect_err_contains "$REG_ADDR/no/such:v1" "missing repository: the error names the reference"
expect_exit 1 "inspect a missing tag" -- "$ACUCTL" inspect "$REF:nope" --plain-http
DEAD=127.0.0.1:$(free_port)
start=$SECONDS
expect_exit 1 "pull from an unreachable registry" -- "$ACUCTL" pull "$DEAD/models/iris:v1" -o dead.acu --plain-http --connect-timeout 5s
check "unreachable: gave up within the connect timeout" [ $((SECONDS - start)) -le 5 ]
expect_err_contains "$DEAD" "unreachable: the error names the address"
expect_exit 1 "push to an unreachable registry" -- "$ACUCTL" push iris.acu "$DEAD/models/iris:v1" --plain-http
expect_err_contains "cannot reach registry $DEAD" "unreachable push: the error names the address"
# A port whose accept queue is full: the kernel drops SYNs, so connecting hangs.
cat >blackhole.py <<'PY'
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
fillers = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    fillers.append(c)
print(port, flush=True)
time.sleep(600)
PY
background $PY blackhole.py >blackhole.port
for _ in $(seq 50); do [[ -s blackhole.port ]] && break; sleep 0.1; done
HANG=127.0.0.1:$(cat blackhole.port)
start=$SECONDS
expect_exit 1 "pull from a registry that never accepts the connection" -- \
  "$ACUCTL" pull "$HANG/models/iris:v1" -o hang.acu --plain-http --connect-timeout 2s
check "connect timeout: gave up after about 2s (well under 10s)" [ $((SECONDS - start)) -lt 10 ]
expect_err_contains "cannot reach registry $HANG: no connection within 2s" "connect timeout: the error names the address and the timeout"
expect_exit 1 "TLS against a plain-HTTP registry" -- "$ACUCTL" pull "$REF:v1" -o tls.acu
expect_err_contains "--plain-http" "TLS failure hints at --plain-http"
check "failed pulls left no file" test ! -e missing.acu -a ! -e dead.acu -a ! -e tls.acu

# Progress bars: on a terminal (script(1) gives one) and text output only.
if command -v script >/dev/null; then
  script -qec "$ACUCTL pull $REG_ADDR/models/big:v1 -o tty.acu --plain-http" /dev/null >tty.out 2>&1 || true
  check "a progress bar is drawn on a terminal" grep -q 'pulling .*MiB' tty.out
  "$ACUCTL" pull "$REG_ADDR/models/big:v1" -o notty.acu --plain-http 2>notty.err >/dev/null
  check "no progress bar when stderr is not a terminal" test "$(grep -c 'MiB/s' notty.err)" = 0
fi

# Usage errors.
expect_exit 2 "malformed reference" -- "$ACUCTL" pull "$REG_ADDR/Bad Name:v1" -o x.acu --plain-http
expect_exit 2 "push to a digest reference" -- "$ACUCTL" push iris.acu "$REF@$DIGEST" --plain-http

# 2b. corrupt the registry's stored layer: pull exits 3 and leaves nothing.
data="$REG_STORE/docker/registry/v2/blobs/sha256/${LAYER_DIGEST:7:2}/${LAYER_DIGEST:7}/data"
check "the layer blob is on disk" [ -f "$data" ]
printf 'CORRUPT' | dd of="$data" bs=1 seek=200 conv=notrunc 2>/dev/null
mkdir -p out
expect_exit 3 "pull of a corrupted layer" -- "$ACUCTL" pull "$REF:v1" -o out/corrupt.acu --plain-http
expect_err_contains "failed verification" "corrupted layer: the error says verification failed"
check "corrupted layer: no output file and no partial file" [ -z "$(ls -A out)" ]
expect_exit 3 "pull by digest of a corrupted layer" -- "$ACUCTL" pull "$REF@$DIGEST" -o out/corrupt2.acu --plain-http
expect_exit 3 "verify of a corrupted registry layer" -- "$ACUCTL" verify "$REF:v1" --plain-http
# A truncated copy (size differs) is caught too.
head -c 100 "$data" >"$data.tmp" && mv "$data.tmp" "$data"
expect_exit 3 "pull of a truncated layer" -- "$ACUCTL" pull "$REF:v1" -o out/short.acu --plain-http
check "truncated layer: no output file" [ -z "$(ls -A out)" ]

finish
