#!/usr/bin/env bash
# Retries and resumption against a real docker-registry behind a fault-
# injecting proxy: 503/429 answers, a dropped PATCH chunk, a blob download
# cut in the middle (resumed with Range), an upload PUT cut in the middle.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/integration/registry_lib.sh"

start_registry faults
cat >proxy.py <<'PY'
# A forwarding proxy that injects each fault once, the first time it applies,
# and logs what it did (one line per fault) to the file in argv[3].
import http.client, http.server, socketserver, sys, threading
upstream_port, listen_port, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
done = set()
def once(name):
    with lock:
        if name in done:
            return False
        done.add(name)
        with open(log_path, "a") as f:
            f.write(name + "\n")
        return True
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path, m = self.path, self.command
        if m == "GET" and "/manifests/" in path and once("manifest-503"):
            return self.reply(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}')
        if m == "HEAD" and "/blobs/" in path and once("head-429"):
            return self.reply(429, b"", {"Retry-After": "1"})
        if m == "POST" and "/blobs/uploads/" in path and once("post-502"):
            return self.reply(502, b"bad gateway")
        if m == "PATCH" and "/blobs/uploads/" in path and self.headers.get("Content-Range", "").startswith("0-") is False and once("patch-drop"):
            self.close_connection = True
            self.connection.close()
            return
        if m == "PUT" and "/blobs/uploads/" in path and n > 1000000 and once("put-cut"):
            self.close_connection = True
            self.connection.close()
            return
        up = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
        up.putrequest(m, path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            up.putheader(k, v)
        up.endheaders(body if body else None)
        r = up.getresponse()
        data = r.read()
        cut = (m == "GET" and "/blobs/sha256:" in path and "Range" not in self.headers
               and len(data) > 1000000 and once("download-cut"))
        self.send_response_only(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection"):
                self.send_header(k, v)
        self.end_headers()
        if cut:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()
            return
        if m != "HEAD":
            self.wfile.write(data)
        up.close()
    def reply(self, status, body, headers={}):
        self.send_response_only(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
Server(("127.0.0.1", listen_port), Handler).serve_forever()
PY
PROXY_PORT=$(free_port)
touch injected.log
background $PY proxy.py "$REG_PORT" "$PROXY_PORT" "$WORK/injected.log"
wait_http "http://127.0.0.1:$PROXY_PORT/v2/" 20 || true
PROXY=127.0.0.1:$PROXY_PORT

make_bundle iris iris.acu
mkdir -p big && cp -r "$WORK/proj-iris/." big/ && head -c 6000000 /dev/urandom >big/weights.bin
"$ACUCTL" -q package big -o big.acu --compression none >/dev/null 2>&1

# Chunked push through the faults: 429 on HEAD, 502 on POST, a dropped PATCH.
expect_exit 0 "chunked push survives 429, 502 and a dropped PATCH" -- \
  "$ACUCTL" push big.acu "$PROXY/models/big:v1" --plain-http --chunk-size 1MiB
for f in head-429 post-502 patch-drop; do check "the proxy injected $f" grep -qx "$f" injected.log; done
check "the upload was resumed from the registry's Range (GET on the upload session)" \
  test "$(count_requests GET /blobs/uploads/)" -ge 1
expect_exit 0 "pull through a 503 and a download cut in half" -- \
  "$ACUCTL" pull "$PROXY/models/big:v1" -o big-pulled.acu --plain-http
for f in manifest-503 download-cut; do check "the proxy injected $f" grep -qx "$f" injected.log; done
check "the download resumed with Range (registry answered 206)" grep -qE '"GET /v2/models/big/blobs/sha256:[0-9a-f]+ HTTP/1.1" 206' "$REG_LOG"
check "resumed download is byte-identical" cmp -s big-pulled.acu big.acu

# A monolithic PUT cut mid-body restarts the upload session.
expect_exit 0 "monolithic push survives a PUT cut mid-body" -- \
  "$ACUCTL" push big.acu "$PROXY/models/mono:v1" --plain-http --chunk-size 0
check "the proxy injected put-cut" grep -qx put-cut injected.log
expect_exit 0 "pull the monolithic upload" -- "$ACUCTL" pull "$REG_ADDR/models/mono:v1" -o mono.acu --plain-http
check "monolithic upload after a cut is byte-identical" cmp -s mono.acu big.acu

finish
