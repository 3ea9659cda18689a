#!/usr/bin/env bash
# The main job on embedded defaults, from a clean checkout: install what is
# missing, build, then the whole story in a scratch directory — keygen, init,
# package v1, v2 and a faulty v3, push them to an oci: layout, start two local
# runners, deploy v1, send traffic, roll out v2 (promoted), roll out v3
# (rolled back automatically), show status, stop the runners. No process is
# left behind, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps.sh
scripts/build.sh dev >/dev/null
acuctl=$root/build/dev/acuctl
work=$(mktemp -d /tmp/acuctl-demo.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_live() {
  local deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null "$1/v2/health/live" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "runner $1 did not start" >&2; exit 1; }
    sleep 0.1
  done
}

# 1. Three versions of a native model: v1, v2 (a good change), v3 (a bug that
#    fails every third request).
step "$acuctl" keygen -o signing.key
step "$acuctl" init iris --template native
cp -r iris iris-v2
sed -i 's/"version": "1.0.0"/"version": "2.0.0"/' iris-v2/model.json
cp -r iris iris-v3
sed -i 's/"version": "1.0.0"/"version": "3.0.0"/' iris-v3/model.json
sed -i 's|^  const model\* m = handle;|  static _Atomic unsigned long calls;\n  if (++calls % 3 == 0) { snprintf(err, err_cap, "v3 bug: every third request fails"); return 1; }\n  const model* m = handle;|' \
  iris-v3/model.c
grep -q "v3 bug" iris-v3/model.c || { echo "demo: could not make the faulty v3" >&2; exit 1; }
make -s -C iris-v3 -B >/dev/null
step "$acuctl" package iris -o iris-1.0.0.acu --key signing.key
step "$acuctl" package iris-v2 -o iris-2.0.0.acu --key signing.key
step "$acuctl" package iris-v3 -o iris-3.0.0.acu --key signing.key

# 2. Push them to an OCI image layout (no registry server needed).
if "$acuctl" push --help >/dev/null 2>&1; then
  for v in 1.0.0 2.0.0 3.0.0; do step "$acuctl" push iris-$v.acu oci:models:$v; done
  ref() { echo "oci:models:$1"; }
else
  echo "(this build has no 'acuctl push': rolling out the .acu files directly)"
  ref() { echo "iris-$1.acu"; }
fi

# 3. Two runners that trust only our key.
urls=()
for i in 1 2; do
  port=$(free_port)
  "$acuctl" serve --listen 127.0.0.1:$port --state-dir runner$i --trust signing.key.pub --threads 2 \
    2>runner$i.log &
  pids+=($!)
  urls+=("http://127.0.0.1:$port")
  wait_live "http://127.0.0.1:$port"
done
runners=$(IFS=,; echo "${urls[*]}")
echo "runners: $runners"

# 4. v1 everywhere, and some traffic.
step "$acuctl" deploy "$(ref 1.0.0)" --runner "$runners"
step "$acuctl" predict "${urls[0]}" --model iris --input iris/example.json
for _ in $(seq 20); do "$acuctl" -q predict "${urls[1]}" --model iris --input iris/example.json >/dev/null; done

# 5. Roll out v2: analysed at 20%, 50% and 100%, then promoted.
plan=(--steps 20,50,100 --interval 1s --step-duration 2s --min-requests 10 --max-error-rate 0.01
      --max-latency-p99 250ms --load-rps 100)
step "$acuctl" rollout "$(ref 2.0.0)" --runner "$runners" "${plan[@]}"

# 6. Roll out v3: the first window at 20% shows a third of its requests
#    failing; every runner goes back to v2 and the exit code is 4.
rc=0
step "$acuctl" rollout "$(ref 3.0.0)" --runner "$runners" "${plan[@]}" || rc=$?
if [[ $rc -ne 4 ]]; then echo "demo: the faulty v3 rollout exited $rc, expected 4" >&2; exit 1; fi
echo "(exit 4: rolled back because analysis failed)"

# 7. Where the fleet stands, then stop the runners.
(for _ in $(seq 40); do "$acuctl" -q predict "${urls[0]}" --model iris --input iris/example.json >/dev/null; done) &
pids+=($!)
step "$acuctl" status --runner "$runners"
"$acuctl" -o json status --runner "$runners" --sample 0 >status.json
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runners"]; sys.exit(0 if all(x["stable"]=="2.0.0" and x["canary"] is None for x in r) else 1)' status.json \
  || { echo "demo: the runners are not all on 2.0.0: $(cat status.json)" >&2; exit 1; }
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()
echo
echo "demo finished: v2 was promoted on both runners, the faulty v3 was rolled back automatically."
