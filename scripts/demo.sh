#!/usr/bin/env bash
# Installs the dependencies, builds postal-cpp and runs the quickstart demo.
# With POSTAL_URL and POSTAL_API_KEY set it talks to that Postal; otherwise to a built-in fake
# Postal on 127.0.0.1, through the real libcurl transport.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOSTAL_BUILD_TESTS=OFF >/dev/null
cmake --build build --target quickstart postal-send
exec build/examples/quickstart
