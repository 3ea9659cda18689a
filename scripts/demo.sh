#!/usr/bin/env bash
# The main job on embedded defaults, from a clean checkout: install what is
# missing, build, then walk the packaging story (keygen → init → package →
# verify → inspect) in a scratch directory.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps.sh
scripts/build.sh dev >/dev/null
acuctl=$root/build/dev/acuctl
work=$(mktemp -d /tmp/acuctl-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$acuctl" keygen -o signing.key
step "$acuctl" init iris --template xgboost
step "$acuctl" package iris -o iris-1.0.0.acu --key signing.key
step "$acuctl" verify iris-1.0.0.acu --key signing.key.pub
step "$acuctl" inspect iris-1.0.0.acu
echo
echo "demo finished: the bundle verified against its signing key."
