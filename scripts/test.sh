#!/usr/bin/env bash
# Installs the dependencies, builds postal-cpp with warnings as errors, and runs every test.
# Exits non-zero when anything fails; the last line printed is ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${POSTAL_BUILD_DIR:-build-test}
scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPOSTAL_WARNINGS_AS_ERRORS=ON
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure --timeout 120 -j 2
