#!/usr/bin/env bash
# Compile cost of postal/postal.hpp: the time to compile a translation unit that includes it and
# calls send_message (benchmarks/compile/postal_send.cpp) beside one that includes only
# nlohmann/json.hpp (benchmarks/compile/json_only.cpp), same compiler and flags, same run.
# Prints the median CPU time (user + system, steadier than wall time on a busy machine) of RUNS
# compilations of each (they alternate) and their ratio.
#   scripts/bench-compile.sh            # g++ and clang++-14 (when present), -O0 -g and -O2
#   RUNS=9 CXXS="g++" scripts/bench-compile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
cxxs=${CXXS:-"g++ clang++-14"}
flag_sets=("-O0 -g" "-O2")

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
compile_ms() {  # compiler, flags, source -> CPU milliseconds; a failed or warning compile stops
  local TIMEFORMAT='%3U %3S' cpu
  # shellcheck disable=SC2086
  cpu=$({ time "$1" -std=c++17 $2 -Wall -Wextra -Iinclude -c "$3" -o /dev/null 2>"$log"; } 2>&1) &&
    [[ ! -s $log ]] || { echo "bench-compile: $1 $2 $3 failed or warned:" >&2; cat "$log" >&2; return 1; }
  awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%d\n", (u + s) * 1000 }'
}

printf '%-12s %-7s %18s %18s %7s\n' compiler flags "postal.hpp+send" "json.hpp only" ratio
for cxx in $cxxs; do
  command -v "$cxx" >/dev/null || continue
  for flags in "${flag_sets[@]}"; do
    postal_times=() json_times=()
    for ((i = 0; i < runs; ++i)); do
      postal_times+=("$(compile_ms "$cxx" "$flags" benchmarks/compile/postal_send.cpp)") || exit 1
      json_times+=("$(compile_ms "$cxx" "$flags" benchmarks/compile/json_only.cpp)") || exit 1
    done
    p=$(printf '%s\n' "${postal_times[@]}" | median)
    j=$(printf '%s\n' "${json_times[@]}" | median)
    printf '%-12s %-7s %15d ms %15d ms %6.2fx\n' "$cxx" "$flags" "$p" "$j" \
      "$(awk -v p="$p" -v j="$j" 'BEGIN { print p / j }')"
  done
done
