#!/usr/bin/env bash
# Benchmark: push and pull of a 1 GiB bundle through a real docker-registry on
# loopback, acuctl side by side with curl doing the same blob upload (POST +
# PUT ?digest=) and download (GET) through the same registry API: the raw HTTP
# floor. Reports throughput ratios and acuctl's peak RSS. Not a pass/fail test.
#
#   tests/bench/registry.sh [SIZE_MIB]        (default 1024)
#   ACUCTL=path/to/acuctl to pick the binary  (default build/release, else build/dev)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
size_mib=${1:-1024}
rounds=${ROUNDS:-3}
# Round 0 is a warm-up, printed but left out of the summary (as hyperfine's
# --warmup): the first transfers after making the bundle were the slowest
# for both tools, and the slowest relative to curl for acuctl (0.37-0.72).
warmup=${WARMUP:-1}
ACUCTL=${ACUCTL:-}
if [[ -z $ACUCTL ]]; then
  for p in "$root/build/release/acuctl" "$root/build/dev/acuctl"; do [[ -x $p ]] && { ACUCTL=$p; break; }; done
fi
[[ -x ${ACUCTL:-} ]] || { echo "build acuctl first (cmake --preset release && cmake --build --preset release)"; exit 1; }
PY=/usr/bin/python3
work=$(mktemp -d /tmp/acuctl-bench.XXXXXX)
reg_pid=
cleanup() { [[ -n $reg_pid ]] && kill "$reg_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
cat >reg.yml <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/store}}
http: {addr: $addr, secret: bench}
YML
docker-registry serve reg.yml >reg.log 2>&1 &
reg_pid=$!
until curl -fsS -o /dev/null "http://$addr/v2/" 2>/dev/null; do sleep 0.1; done

echo "acuctl: $ACUCTL"
echo "making a ${size_mib} MiB bundle (random bytes, --compression none)..."
"$ACUCTL" init proj --template xgboost >/dev/null 2>&1
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >proj/weights.bin
"$ACUCTL" -q package proj -o big.acu --compression none >/dev/null 2>&1
bytes=$(stat -c %s big.acu)
digest=sha256:$(sha256sum big.acu | cut -d' ' -f1)
echo "bundle: $bytes bytes, $digest"

now() { date +%s.%N; }
elapsed() { $PY -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.3f}')" "$1" "$2"; }
mibs() { $PY -c "import sys; print(f'{int(sys.argv[1])/float(sys.argv[2])/1048576:.0f}')" "$bytes" "$1"; }
rss_mib() { awk -F: '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$1"; }

curl_push() {  # repo
  local loc
  loc=$(curl -fsS -X POST -o /dev/null -D - "http://$addr/v2/$1/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location" {print $2}')
  [[ $loc == http* ]] || loc="http://$addr$loc"
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' -H 'Expect:' --data-binary @big.acu "$loc&digest=$digest"
}
curl_push_T() {  # repo: streamed from the file (-T), like acuctl
  local loc
  loc=$(curl -fsS -X POST -o /dev/null -D - "http://$addr/v2/$1/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location" {print $2}')
  [[ $loc == http* ]] || loc="http://$addr$loc"
  curl -fsS -o /dev/null -T big.acu -H 'Content-Type: application/octet-stream' "$loc&digest=$digest"
}
curl_pull() { curl -fsS -o "$2" "http://$addr/v2/$1/blobs/$digest"; }

best_curl_push=999999 best_acu_push=999999 best_curl_pull=999999 best_acu_pull=999999 rss_push=0 rss_pull=0
push_ratios=() pull_ratios=()  # per round: acuctl throughput / curl throughput, measured back to back
ratio() { $PY -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
median() { $PY -c "import sys, statistics; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" "$@"; }
min() { $PY -c "import sys; print(min(float(sys.argv[1]), float(sys.argv[2])))" "$1" "$2"; }
maxf() { $PY -c "import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))" "$1" "$2"; }
printf '\n%-6s %-28s %9s %9s %9s\n' round step seconds MiB/s "RSS MiB"
for r in $(seq $((1 - warmup)) "$rounds"); do
  sync
  t0=$(now); curl_push_T "curl$r"; t1=$(now); s=$(elapsed "$t0" "$t1")
  printf '%-6s %-28s %9s %9s\n' "$r" "curl PUT -T (upload)" "$s" "$(mibs "$s")"; ((r < 1)) || best_curl_push=$(min "$best_curl_push" "$s"); curl_s=$s
  sync
  t0=$(now); /usr/bin/time -v -o time-push.txt "$ACUCTL" -q push big.acu "$addr/acuctl$r/big:v1" --plain-http >/dev/null; t1=$(now); s=$(elapsed "$t0" "$t1")
  printf '%-6s %-28s %9s %9s %9s\n' "$r" "acuctl push" "$s" "$(mibs "$s")" "$(rss_mib time-push.txt)"
  if ((r >= 1)); then
    best_acu_push=$(min "$best_acu_push" "$s"); push_ratios+=("$(ratio "$curl_s" "$s")")
  fi
  rss_push=$(maxf "$rss_push" "$(rss_mib time-push.txt)")
  sync
  t0=$(now); curl_pull "curl$r" curl-out.bin; t1=$(now); s=$(elapsed "$t0" "$t1")
  printf '%-6s %-28s %9s %9s\n' "$r" "curl GET (download)" "$s" "$(mibs "$s")"; ((r < 1)) || best_curl_pull=$(min "$best_curl_pull" "$s"); curl_s=$s
  rm -f curl-out.bin; sync
  t0=$(now); /usr/bin/time -v -o time-pull.txt "$ACUCTL" -q pull "$addr/acuctl$r/big:v1" -o pulled.acu --plain-http >/dev/null; t1=$(now); s=$(elapsed "$t0" "$t1")
  printf '%-6s %-28s %9s %9s %9s\n' "$r" "acuctl pull" "$s" "$(mibs "$s")" "$(rss_mib time-pull.txt)"
  if ((r >= 1)); then
    best_acu_pull=$(min "$best_acu_pull" "$s"); pull_ratios+=("$(ratio "$curl_s" "$s")")
  fi
  rss_pull=$(maxf "$rss_pull" "$(rss_mib time-pull.txt)")
  cmp -s pulled.acu big.acu || { echo "pulled bundle differs!"; exit 1; }
  rm -f pulled.acu
done

echo
echo "best of $rounds (after $warmup warm-up round), ${size_mib} MiB bundle:"
echo "  push: acuctl $(mibs "$best_acu_push") MiB/s vs curl $(mibs "$best_curl_push") MiB/s -> ratio $(ratio "$best_curl_push" "$best_acu_push") (target >= 0.67)"
echo "  pull: acuctl $(mibs "$best_acu_pull") MiB/s vs curl $(mibs "$best_curl_pull") MiB/s -> ratio $(ratio "$best_curl_pull" "$best_acu_pull") (target >= 0.67)"
echo "  paired per-round ratios (acuctl/curl throughput, back to back): push ${push_ratios[*]} -> median $(median "${push_ratios[@]}");"
echo "                                                                  pull ${pull_ratios[*]} -> median $(median "${pull_ratios[@]}")"
echo "  acuctl peak RSS (all rounds): push ${rss_push} MiB, pull ${rss_pull} MiB (target < 64 MiB)"
echo "  (acuctl push includes hashing the bundle for its digest and the manifest/config requests;"
echo "   acuctl pull includes SHA-256 verification while streaming; like curl it does not fsync)"
