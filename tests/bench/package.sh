#!/usr/bin/env bash
# Benchmark (not a test): packaging a 512 MiB incompressible model with acuctl
# against the shell pipeline doing the same work — sha256sum of the files,
# then tar | zstd -3 -T1 — side by side with hyperfine.
# usage: tests/bench/package.sh [SIZE_MIB]   (needs a release or dev build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
acuctl=${ACUCTL:-$root/build/release/acuctl}
[[ -x $acuctl ]] || { "$root/scripts/build.sh" release >/dev/null; acuctl=$root/build/release/acuctl; }
size=${1:-512}
work=$(mktemp -d /tmp/acuctl-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$acuctl" -q init proj --template native >/dev/null
head -c $((size << 20)) /dev/urandom > proj/weights.bin
"$acuctl" -q keygen -o k
echo "acuctl: $acuctl ($("$acuctl" --version)); model: ${size} MiB random bytes; $(nproc) cores"
hyperfine --warmup 1 --runs 5 --export-json result.json \
  -n acuctl "$acuctl -q package proj -o out.acu --key k && rm out.acu" \
  -n "sha256sum + tar | zstd -3 -T1" "find proj -type f -exec sha256sum {} + > sums && tar -cf - proj | zstd -q -3 -T1 > out.tar.zst && rm out.tar.zst"
/usr/bin/python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("result.json"))["results"]}
a, b = r["acuctl"]["mean"], r["sha256sum + tar | zstd -3 -T1"]["mean"]
print(f"acuctl {a:.3f}s vs pipeline {b:.3f}s: acuctl takes {a / b:.2f}x the pipeline's time")
PY
