#!/usr/bin/env bash
# Configures and builds one CMake preset (dev, release or asan): scripts/build.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
# ccache hits across clones (CI builds a fresh clone in another folder).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
