#!/usr/bin/env bash
# Builds postal-cpp's libFuzzer targets (fuzz/; clang++-14, AddressSanitizer and
# UndefinedBehaviorSanitizer, the library instrumented too) and runs each for FUZZ_SECONDS from
# its seed corpus in fuzz/corpus. Exits non-zero when a target fails: libFuzzer then prints the
# input, and leaves it in build-fuzz/ as crash-* (or leak-*, timeout-*, oom-*); reproduce with
#   build-fuzz/fuzz/TARGET_fuzz build-fuzz/crash-...
#
#   scripts/fuzz.sh                        # every target, 5 minutes each
#   FUZZ_SECONDS=3600 scripts/fuzz.sh send_answer
#
# Targets: send_answer (Postal's answer to a send: the fast reader against the general path),
# json_escape (the request bodies' JSON string escaper against nlohmann's dump()), webhook
# (forged webhooks must be refused, signed ones read as parse_event reads them; key material),
# client_answer (any answer to the Client's calls: a value or an error, never the API key in it),
# response_head (a response's header lines: one well-formed field per line naming one, read back
# the same once written out).
# The inputs found are kept in build-fuzz/corpus/TARGET and reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${POSTAL_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-300}
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(send_answer json_escape client_answer webhook response_head)

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined" \
  -DPOSTAL_BUILD_FUZZERS=ON -DPOSTAL_BUILD_TESTS=OFF -DPOSTAL_BUILD_EXAMPLES=OFF \
  -DPOSTAL_BUILD_BENCHMARKS=OFF -DPOSTAL_INSTALL=OFF -DPOSTAL_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build" --target "${targets[@]/%/_fuzz}"

root=$PWD
for target in "${targets[@]}"; do
  echo "=== fuzz: $target for $seconds s"
  mkdir -p "$build/corpus/$target"
  dict=()
  [[ -f fuzz/$target.dict ]] && dict=("-dict=$root/fuzz/$target.dict")
  # Run in $build, where libFuzzer leaves a failing input. New inputs go to its corpus directory;
  # the seeds in fuzz/corpus are only read.
  (cd "$build" && "./fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -print_final_stats=1 "${dict[@]}" "corpus/$target" "$root/fuzz/corpus/$target")
done
echo "=== fuzz: ${targets[*]}: no failure"
