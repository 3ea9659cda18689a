#!/usr/bin/env bash
# Token auth (WWW-Authenticate: Bearer) against a real docker-registry whose
# auth.token points at a small token server run by this test: anonymous
# tokens for pull, tokens with basic credentials for push.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/registry_lib.sh"
$PY -c 'import jwt, cryptography' 2>/dev/null || { echo "python3-jwt/python3-cryptography missing; skipping"; exit 77; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -subj /CN=acuctl-test-token -days 2 2>/dev/null
TOKEN_PORT=$(free_port)
cat >token_server.py <<'PY'
# Issues registry tokens: anonymous ones grant pull, alice:s3cret gets pull and push.
import base64, http.server, json, socketserver, sys, time, urllib.parse, uuid
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
port, key_path, cert_path, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
key = open(key_path).read()
cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
x5c = [base64.b64encode(cert.public_bytes(Encoding.DER)).decode()]
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            if (u, p) != ("alice", "s3cret"):
                self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
            user = u
        access = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                typ, name, actions = one.split(":")
                granted = [a for a in actions.split(",") if a == "pull" or (a == "push" and user)]
                access.append({"type": typ, "name": name, "actions": granted})
        with open(log_path, "a") as f:
            f.write(json.dumps({"user": user, "service": q.get("service"), "scope": q.get("scope")}) + "\n")
        now = int(time.time())
        claims = {"iss": "acuctl-test-issuer", "sub": user or "", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        token = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": x5c})
        body = json.dumps({"access_token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
Server(("127.0.0.1", port), Handler).serve_forever()
PY
touch tokens.log
background $PY token_server.py "$TOKEN_PORT" token.key token.crt "$WORK/tokens.log"

# start_registry with an auth.token section instead of htpasswd.
REG_PORT=$(free_port); REG_ADDR=127.0.0.1:$REG_PORT; REG_STORE=$WORK/token-store; REG_LOG=$WORK/token-registry.log
cat >token-registry.yml <<YML
version: 0.1
log: {level: info}
storage: {filesystem: {rootdirectory: $REG_STORE}}
http: {addr: $REG_ADDR, secret: acuctl-test-secret}
auth:
  token:
    realm: http://127.0.0.1:$TOKEN_PORT/token
    service: acuctl-test-registry
    issuer: acuctl-test-issuer
    rootcertbundle: $WORK/token.crt
YML
background docker-registry serve token-registry.yml >"$REG_LOG" 2>&1
deadline=$((SECONDS + 20))
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$REG_ADDR/v2/") == 401 ]]; do
  (( SECONDS < deadline )) || { echo "registry did not start"; cat "$REG_LOG"; exit 1; }
  sleep 0.1
done
check "the registry sends a Bearer challenge" bash -c "curl -si http://$REG_ADDR/v2/ | grep -qi '^www-authenticate: Bearer realm=\"http://127.0.0.1:$TOKEN_PORT/token\"'"

make_bundle iris iris.acu
REF=$REG_ADDR/models/iris
unset ACUCTL_REGISTRY_USERNAME ACUCTL_REGISTRY_PASSWORD
export DOCKER_CONFIG=$WORK/no-docker-config

expect_exit 1 "push with an anonymous token (pull only)" -- "$ACUCTL" push iris.acu "$REF:v1" --plain-http
expect_err_contains "unauthorized" "anonymous push: unauthorized"
ACUCTL_REGISTRY_USERNAME=alice ACUCTL_REGISTRY_PASSWORD=s3cret \
  expect_exit 0 "push with a token fetched with credentials" -- "$ACUCTL" push iris.acu "$REF:v1" --plain-http
DIGEST=$(cat last.out)
check "the token request carried the service and a pull,push scope" \
  grep -q '"user": "alice", "service": \["acuctl-test-registry"\], "scope": \[.*"repository:models/iris:pull,push"' tokens.log
expect_exit 0 "pull with an anonymous token" -- "$ACUCTL" pull "$REF:v1" -o anon.acu --plain-http
check "anonymous-token pull is byte-identical" cmp -s anon.acu iris.acu
check "the anonymous token request had no user" grep -q '"user": null' tokens.log
expect_exit 0 "inspect with a token" -- "$ACUCTL" -o json inspect "$REF@$DIGEST" --plain-http
check "inspect with a token shows the bundle" test "$(json_get last.out 'j["name"]')" = iris
ACUCTL_REGISTRY_USERNAME=alice ACUCTL_REGISTRY_PASSWORD=wrong \
  expect_exit 1 "a token request with wrong credentials" -- "$ACUCTL" pull "$REF:v1" -o bad.acu --plain-http
expect_err_contains "unauthorized" "wrong credentials at the token server: unauthorized"

finish
