#!/usr/bin/env bash
# acuctl serve loads only bundles signed by a --trust key; --allow-unsigned
# serves the others with a warning; cached bundles load by sha256:HEX.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

fixture_project proj 1.0.0
"$ACUCTL" keygen -o good.key >/dev/null
"$ACUCTL" keygen -o other.key >/dev/null
"$ACUCTL" package proj -o signed.acu --key good.key >/dev/null 2>&1
"$ACUCTL" package proj -o other.acu --key other.key >/dev/null 2>&1
"$ACUCTL" package proj -o unsigned.acu >/dev/null 2>&1

serve_refused() {  # DESCRIPTION ARGS...: the runner refuses to start (exit 3) and serves nothing
  local what=$1; shift
  local port; port=$(free_port)
  expect_exit 3 "$what" -- timeout 20 "$ACUCTL" serve --listen "127.0.0.1:$port" "$@"
}
serve_refused "unsigned bundle without --trust or --allow-unsigned is refused" --state-dir s1 --model unsigned.acu
expect_err_contains "--allow-unsigned" "the refusal says how to proceed"
serve_refused "unsigned bundle with --trust is refused" --state-dir s1 --model unsigned.acu --trust good.key.pub
serve_refused "bundle signed by an untrusted key is refused" --state-dir s1 --model other.acu --trust good.key.pub
expect_err_contains "other.acu" "the refusal names the bundle"
if [[ ! -e s1/models ]] || [[ -z "$(ls s1/models)" ]]; then ok "nothing refused was unpacked"; else not_ok "refused bundle was unpacked: $(ls s1/models)"; fi

# A tampered bundle (one byte of the model changed) is refused even with --allow-unsigned.
mkdir t && (cd t && zstd -dc ../unsigned.acu | tar xf -)
sed -i 's/"example"/"exampl3"/' t/model/example.json
(cd t && tar cf - manifest.json model/* | zstd -q -f -o ../tampered.acu)
serve_refused "a tampered bundle is refused even with --allow-unsigned" --state-dir s1 --model tampered.acu --allow-unsigned
expect_err_contains "example.json" "the refusal names the tampered file"

start_runner signed --state-dir s2 --model signed.acu --trust good.key.pub --trust other.key.pub
http_expect 200 "bundle signed by a trusted key is served" "$RUNNER_URL/v2/health/ready"
if grep -q "warning" "$WORK/signed.err"; then not_ok "a trusted bundle warns"; else ok "no warning for a trusted bundle"; fi
kill "$RUNNER_PID"; wait "$RUNNER_PID" 2>/dev/null || true

start_runner unsigned --state-dir s3 --model unsigned.acu --allow-unsigned
http_expect 200 "--allow-unsigned serves an unsigned bundle" -X POST -d @proj/example.json "$RUNNER_URL/v2/models/fixture/infer"
if grep -q "warning: serving fixture 1.0.0 .* without a trusted signature" "$WORK/unsigned.err"; then ok "--allow-unsigned warns on stderr"; else
  not_ok "no warning"; cat "$WORK/unsigned.err"; fi
kill "$RUNNER_PID"; wait "$RUNNER_PID" 2>/dev/null || true

# The bundle is in the cache by digest; it loads from there by sha256:HEX.
digest=$(sha256sum signed.acu | cut -d' ' -f1)
if [[ -f s2/bundles/sha256/$digest.acu && -f s2/models/$digest/model.json ]]; then ok "bundle cached and unpacked by digest"; else
  not_ok "cache layout"; find s2 | head; fi
rm signed.acu
start_runner cached --state-dir s2 --model "sha256:$digest" --trust good.key.pub
http_expect 200 "sha256:HEX loads from the cache" -X POST -d @proj/example.json "$RUNNER_URL/v2/models/fixture/infer"
kill "$RUNNER_PID"; wait "$RUNNER_PID" 2>/dev/null || true
"$ACUCTL" keygen -o third.key >/dev/null
serve_refused "a cached bundle is still checked against --trust" --state-dir s2 --model "sha256:$digest" --trust third.key.pub
expect_exit 1 "an unknown digest is not in the cache" -- "$ACUCTL" serve --listen 127.0.0.1:0 --state-dir s-empty --model "sha256:$(printf '0%.0s' {1..64})" --allow-unsigned
expect_err_contains "no such bundle in the cache" "the error says the digest is not cached"

finish
