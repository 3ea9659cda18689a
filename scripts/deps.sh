#!/usr/bin/env bash
# Installs the Debian packages acuctl needs to build and test, when missing.
# Runs as root (CI does); elsewhere it uses sudo if it is there.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libarchive-dev libssl-dev
  doctest-dev libboost-dev libxgboost-dev
  # tests and benchmarks
  zstd openssl curl python3 python3-jsonschema python3-xgboost python3-numpy python3-flask gunicorn
  docker-registry apache2-utils skopeo prometheus wrk hyperfine procps psmisc
  python3-jwt python3-cryptography
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
echo "acuctl: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts these services on install; the tests start their own on loopback.
for svc in docker-registry prometheus prometheus-node-exporter; do
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop "$svc" >/dev/null 2>&1 || true; fi
  $SUDO pkill -x "$svc" >/dev/null 2>&1 || true
done
