#!/usr/bin/env bash
# The whole test suite from a clean checkout: installs what is missing, builds
# the dev and asan presets, and runs unit and integration tests in both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
status=0
for preset in dev asan; do
  echo "=== $preset: build"
  scripts/build.sh "$preset"
  echo "=== $preset: test"
  ctest --preset "$preset" -j2 || status=1
done
exit $status
