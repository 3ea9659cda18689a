#!/usr/bin/env bash
# Basic auth against a real docker-registry with an htpasswd file (bcrypt):
# credentials from the environment and from docker's config.json.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/registry_lib.sh"
command -v htpasswd >/dev/null || { echo "htpasswd (apache2-utils) not installed; skipping"; exit 77; }

htpasswd -Bbn alice 's3cret pw' >"$WORK/htpasswd"
start_registry auth "$WORK/htpasswd"
make_bundle iris iris.acu
REF=$REG_ADDR/models/iris
unset ACUCTL_REGISTRY_USERNAME ACUCTL_REGISTRY_PASSWORD
export DOCKER_CONFIG=$WORK/no-docker-config

expect_exit 1 "push without credentials" -- "$ACUCTL" push iris.acu "$REF:v1" --plain-http
expect_err_contains "unauthorized" "no credentials: the error says unauthorized"

ACUCTL_REGISTRY_USERNAME=alice ACUCTL_REGISTRY_PASSWORD='s3cret pw' \
  expect_exit 0 "push with credentials from the environment" -- "$ACUCTL" push iris.acu "$REF:v1" --plain-http
DIGEST=$(cat last.out)
check "skopeo with the same credentials reads the artifact" \
  test "$(skopeo inspect --raw --tls-verify=false --creds 'alice:s3cret pw' "docker://$REF:v1" | sha256sum | cut -d' ' -f1)" = "${DIGEST#sha256:}"
ACUCTL_REGISTRY_USERNAME=alice ACUCTL_REGISTRY_PASSWORD='s3cret pw' \
  expect_exit 0 "pull with credentials from the environment" -- "$ACUCTL" pull "$REF:v1" -o env.acu --plain-http
check "pull with env credentials is byte-identical" cmp -s env.acu iris.acu

ACUCTL_REGISTRY_USERNAME=alice ACUCTL_REGISTRY_PASSWORD=wrong \
  expect_exit 1 "pull with a wrong password" -- "$ACUCTL" pull "$REF:v1" -o wrong.acu --plain-http
expect_err_contains "unauthorized" "wrong password: the error says unauthorized"
expect_err_contains "alice" "wrong password: the error names the user"
check "wrong password: no file" test ! -e wrong.acu
ACUCTL_REGISTRY_USERNAME=mallory ACUCTL_REGISTRY_PASSWORD='s3cret pw' \
  expect_exit 1 "push as an unknown user" -- "$ACUCTL" push iris.acu "$REF:v2" --plain-http
expect_err_contains "unauthorized" "unknown user: the error says unauthorized"
expect_exit 1 "inspect without credentials" -- "$ACUCTL" inspect "$REF:v1" --plain-http
expect_err_contains "unauthorized" "inspect without credentials: unauthorized"

# docker config.json: "auth" (base64 user:pass) and username/password forms.
mkdir -p "$WORK/docker"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG_ADDR" "$(printf 'alice:s3cret pw' | base64 -w0)" >"$WORK/docker/config.json"
DOCKER_CONFIG=$WORK/docker expect_exit 0 "pull with credentials from DOCKER_CONFIG/config.json" -- \
  "$ACUCTL" pull "$REF:v1" -o cfg.acu --plain-http
check "pull with config.json credentials is byte-identical" cmp -s cfg.acu iris.acu
DOCKER_CONFIG=$WORK/docker expect_exit 0 "inspect with config.json credentials" -- "$ACUCTL" inspect "$REF:v1" --plain-http
DOCKER_CONFIG=$WORK/docker expect_exit 0 "verify with config.json credentials" -- \
  "$ACUCTL" verify "$REF:v1" --plain-http --key "$WORK/signing.key.pub"
mkdir -p "$WORK/docker2"
printf '{"auths":{"http://%s/v2/":{"username":"alice","password":"s3cret pw"}}}\n' "$REG_ADDR" >"$WORK/docker2/config.json"
DOCKER_CONFIG=$WORK/docker2 expect_exit 0 "push with config.json username/password under a URL key" -- \
  "$ACUCTL" push iris.acu "$REF:v3" --plain-http
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG_ADDR" "$(printf 'alice:nope' | base64 -w0)" >"$WORK/docker/config.json"
DOCKER_CONFIG=$WORK/docker expect_exit 1 "wrong credentials in config.json" -- "$ACUCTL" pull "$REF:v1" -o bad.acu --plain-http
expect_err_contains "unauthorized" "wrong config.json credentials: unauthorized"
# The environment wins over config.json.
ACUCTL_REGISTRY_USERNAME=alice ACUCTL_REGISTRY_PASSWORD='s3cret pw' DOCKER_CONFIG=$WORK/docker \
  expect_exit 0 "environment credentials take precedence over config.json" -- "$ACUCTL" pull "$REF:v1" -o prec.acu --plain-http
echo 'not json' >"$WORK/docker/config.json"
DOCKER_CONFIG=$WORK/docker expect_exit 1 "a malformed config.json is reported" -- "$ACUCTL" pull "$REF:v1" -o bad.acu --plain-http
expect_err_contains "config.json" "malformed config.json: the error names the file"

finish
