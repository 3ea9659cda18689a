#!/usr/bin/env bash
# push/pull/inspect/verify with OCI image-layout directories (oci:DIR:TAG),
# read back by skopeo; two writers at once; a damaged layout blob.
source "$(dirname "$0")/lib.sh"
command -v skopeo >/dev/null || { echo "skopeo not installed; skipping"; exit 77; }
source "$ACUCTL_SOURCE_DIR/tests/integration/registry_lib.sh"

make_bundle iris iris.acu
LAYOUT=$WORK/layout

expect_exit 0 "push to oci:DIR:TAG" -- "$ACUCTL" push iris.acu "oci:$LAYOUT:v1"
DIGEST=$(cat last.out)
check "push prints the manifest digest" grep -qxE 'sha256:[0-9a-f]{64}' last.out
check "the layout has oci-layout, index.json and blobs/sha256" test -f "$LAYOUT/oci-layout" -a -f "$LAYOUT/index.json" -a -d "$LAYOUT/blobs/sha256"
check "index.json tags v1 with org.opencontainers.image.ref.name" \
  test "$(json_get "$LAYOUT/index.json" '[m["digest"] for m in j["manifests"] if m.get("annotations",{}).get("org.opencontainers.image.ref.name")=="v1"][0]')" = "$DIGEST"
skopeo inspect --raw "oci:$LAYOUT:v1" >manifest.json
check "skopeo reads oci:DIR:TAG: same digest" test "sha256:$(sha256sum <manifest.json | cut -d' ' -f1)" = "$DIGEST"
check "skopeo reads oci:DIR:TAG: artifactType" test "$(json_get manifest.json 'j["artifactType"]')" = application/vnd.acuctl.model.v1
check "skopeo reads oci:DIR:TAG: one bundle layer" test "$(json_get manifest.json 'str(len(j["layers"]))+" "+j["layers"][0]["mediaType"]')" = "1 application/vnd.acuctl.model.bundle.v1.tar+zstd"

expect_exit 0 "pull oci:DIR:TAG" -- "$ACUCTL" pull "oci:$LAYOUT:v1" -o pulled.acu
check "pull from the layout is byte-identical" cmp -s pulled.acu iris.acu
expect_exit 0 "pull oci:DIR@DIGEST" -- "$ACUCTL" pull "oci:$LAYOUT@$DIGEST" -o by-digest.acu
check "pull by digest is byte-identical" cmp -s by-digest.acu iris.acu
expect_exit 0 "inspect oci:DIR:TAG" -- "$ACUCTL" -o json inspect "oci:$LAYOUT:v1"
check "inspect shows name, version and the manifest digest" test "$(json_get last.out 'j["name"]+" "+j["version"]+" "+j["digest"]')" = "iris 1.0.0 $DIGEST"
expect_exit 0 "verify oci:DIR:TAG with the signing key" -- "$ACUCTL" verify "oci:$LAYOUT:v1" --key "$WORK/signing.key.pub"

expect_exit 0 "push the same bundle again" -- "$ACUCTL" -o json push iris.acu "oci:$LAYOUT:v1"
check "second push writes no blob" test "$(json_get last.out 'j["blobs_uploaded"]')" = 0

# A layout written by skopeo copy from a registry round-trips too.
start_registry anon
expect_exit 0 "push to a registry" -- "$ACUCTL" push iris.acu "$REG_ADDR/models/iris:v1" --plain-http
skopeo copy --quiet --src-tls-verify=false "docker://$REG_ADDR/models/iris:v1" "oci:$WORK/copied:v1" >/dev/null 2>&1
expect_exit 0 "pull from a layout skopeo wrote" -- "$ACUCTL" pull "oci:$WORK/copied:v1" -o copied.acu
check "skopeo's copy pulls byte-identical" cmp -s copied.acu iris.acu
expect_exit 0 "copy back from the layout to the registry with skopeo" -- \
  skopeo copy --quiet --dest-tls-verify=false "oci:$LAYOUT:v1" "docker://$REG_ADDR/models/from-layout:v1"
expect_exit 0 "and pull that with acuctl" -- "$ACUCTL" pull "$REG_ADDR/models/from-layout:v1" -o back.acu --plain-http
check "layout → registry → acuctl is byte-identical" cmp -s back.acu iris.acu

# Two writers at once: 2 × 8 pushes of different tags into one layout; no tag is lost.
make_bundle iris iris-gz.acu gzip
writer() {
  local bundle=$1 prefix=$2 i
  for i in 1 2 3 4 5 6 7 8; do "$ACUCTL" -q push "$bundle" "oci:$WORK/shared:$prefix$i" >/dev/null || return 1; done
}
writer iris.acu a & w1=$!
writer iris-gz.acu b & w2=$!
rc1=0; rc2=0
wait $w1 || rc1=$?
wait $w2 || rc2=$?
check "both concurrent writers succeeded" test $rc1 = 0 -a $rc2 = 0
check "all 16 tags are in index.json" test "$(json_get "$WORK/shared/index.json" 'len(j["manifests"])')" = 16
all=1
for t in a1 a2 a3 a4 a5 a6 a7 a8 b1 b2 b3 b4 b5 b6 b7 b8; do skopeo inspect --raw "oci:$WORK/shared:$t" >/dev/null 2>&1 || all=0; done
check "skopeo reads every tag the two writers pushed" test $all = 1
check "no temporary files remain in the layout" test -z "$(find "$WORK/shared" -name '.*tmp*')"

# Errors: missing tag, missing layout, damaged blob.
expect_exit 1 "pull a missing tag" -- "$ACUCTL" pull "oci:$LAYOUT:nope" -o missing.acu
expect_err_contains "oci:$LAYOUT:nope" "missing tag: the error names the reference"
expect_err_contains "v1" "missing tag: the hint lists the tags there"
expect_exit 1 "pull from a missing layout" -- "$ACUCTL" pull "oci:$WORK/none:v1" -o missing.acu
expect_exit 2 "a malformed oci reference" -- "$ACUCTL" pull "oci:$LAYOUT:bad tag" -o missing.acu
LAYER=$(json_get manifest.json 'j["layers"][0]["digest"]')
printf 'CORRUPT' | dd of="$LAYOUT/blobs/sha256/${LAYER#sha256:}" bs=1 seek=100 conv=notrunc 2>/dev/null
mkdir -p out
expect_exit 3 "pull of a damaged layout blob" -- "$ACUCTL" pull "oci:$LAYOUT:v1" -o out/bad.acu
check "damaged blob: nothing left behind" test -z "$(ls -A out)"
expect_exit 3 "verify of a damaged layout blob" -- "$ACUCTL" verify "oci:$LAYOUT:v1"
head -c 3000000 /dev/urandom >>"$LAYOUT/blobs/sha256/${LAYER#sha256:}"
expect_exit 3 "pull of a layout blob that grew" -- "$ACUCTL" pull "oci:$LAYOUT:v1" -o out/grown.acu
expect_err_contains "is larger than its descriptor" "grown blob: the error says so"
check "grown blob: nothing left behind" test -z "$(ls -A out)"

finish
