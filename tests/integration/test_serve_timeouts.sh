#!/usr/bin/env bash
# Slow and idle clients are cut off; without a model the runner is live but
# not ready.
source "$(dirname "$0")/lib.sh"
source "$ACUCTL_SOURCE_DIR/tests/data/serve_helpers.sh"

start_runner empty --state-dir state --threads 1 --idle-timeout 1s --request-timeout 2s
http_expect 200 "live without a model" "$RUNNER_URL/v2/health/live"
http_expect 503 "not ready without a model" "$RUNNER_URL/v2/health/ready"
http_expect 404 "no model to infer with" -X POST -d '{}' "$RUNNER_URL/v2/models/iris/infer"
port=${RUNNER_URL##*:}

# Each scenario reports how long the server kept the connection open; the
# bounds are loose (the timeouts are 1 s, 10 s and 2 s).
if $PY - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def held(send_slowly):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(60)
    start = time.monotonic()
    try:
        send_slowly(s)
        while s.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    return time.monotonic() - start
def idle(s):
    pass
def slow_header(s):
    for ch in b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n":
        s.send(bytes([ch])); time.sleep(0.5)
def slow_body(s):
    s.send(b"POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
t_idle, t_header, t_body = held(idle), held(slow_header), held(slow_body)
print(f"idle connection closed after {t_idle:.1f} s, slow header after {t_header:.1f} s, slow body after {t_body:.1f} s")
sys.exit(0 if t_idle < 8 and t_header < 25 and t_body < 20 else 1)
PY
then ok "idle, slow-header and slow-body connections are closed"; else not_ok "a slow client held its connection"; fi
http_expect 200 "still serving" "$RUNNER_URL/v2/health/live"
finish
