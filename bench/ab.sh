#!/usr/bin/env bash
# bench/ab.sh N CMD...: run the commands one after another, N rounds, so
# that a change in the machine's load falls on all of them alike, and print
# each one's fastest and median wall time in milliseconds. For comparing
# two builds side by side (BENCHMARKS.md says which runs used it); make
# bench's tables give each row's best of several rounds instead.
set -euo pipefail
rounds=$1
shift
declare -a times
for ((i = 0; i < rounds; i++)); do
	for ((j = 0; j < $#; j++)); do
		cmd=${*:j+1:1}
		start=$(date +%s%N)
		bash -c "$cmd" >/dev/null 2>&1 || { echo "ab: failed: $cmd" >&2; exit 1; }
		end=$(date +%s%N)
		times[j]+="$(((end - start) / 1000000)) "
	done
done
for ((j = 0; j < $#; j++)); do
	printf '%s\n' ${times[j]} | sort -n | awk -v cmd="${*:j+1:1}" \
		'{t[NR] = $1} END {printf "min %5d ms  median %5d ms  %s\n", t[1], t[int((NR + 1) / 2)], cmd}'
done
