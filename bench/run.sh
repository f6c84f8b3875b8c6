#!/usr/bin/env bash
# make bench: measure provpipe beside the tools it replaces, on this machine,
# in one run. Prints a Markdown table per part; BENCHMARKS.md records them.
# Needs: GNU coreutils, GNU time (/usr/bin/time, Debian package "time").
# Environment: ROWS (default 1000000), BENCH_PARTS (default "ctx go").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
rows=${ROWS:-1000000}
parts=${BENCH_PARTS:-ctx go}
work=$(mktemp -d "${TMPDIR:-/tmp}/provpipe-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing: apt-get install time" >&2; exit 2; }

# measure LABEL CMD...: best wall time of 3 runs and peak RSS, as a table row.
measure() {
	local label=$1; shift
	local best="" rss=0 t r
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$work/time" bash -c "$*" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
		read -r t r <"$work/time"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
		((r > rss)) && rss=$r
	done
	local shown=$*
	shown=${shown//$work/\$W}
	shown=${shown//$root/.}
	printf '| %s | `%s` | %.2f s | %d MiB |\n' "${label//|/\\|}" "${shown//|/\\|}" "$best" $((rss / 1024))
	echo "$best" >"$work/last"
}

ctx() {
	local schemas=$root/testdata/seed/schemas-name.csv
	echo "### ctxrows and ctxsplit, $rows contexts ($(nproc) cores, $(uname -m); \$W is a scratch directory)"
	echo
	echo "| what | command | best of 3 | peak RSS |"
	echo "| --- | --- | --- | --- |"
	measure "seed's bash loop" "bash $root/bench/seed-loop.sh $schemas 1 $rows $work/seed.csv"
	local seed; seed=$(cat "$work/last")
	measure "ctxrows" "$bin/ctxrows -p secret -e $rows -d $schemas > $work/all.csv"
	local ours; ours=$(cat "$work/last")
	tail -n +2 "$work/all.csv" >"$work/body.csv"
	cd "$work"
	measure "floor: cat" "cat $work/all.csv > /dev/null"
	measure "floor: cat through a pipe" "cat $work/all.csv | cat > /dev/null"
	measure "GNU split -n r/8" "rm -f s-*; split -n r/8 --numeric-suffixes=1 --additional-suffix=.csv $work/body.csv s-"
	measure "GNU split -u -n r/8" "rm -f u-*; split -u -n r/8 --numeric-suffixes=1 --additional-suffix=.csv $work/body.csv u-"
	measure "ctxsplit -n 8" "rm -f c-*; $bin/ctxsplit -q -n 8 -o c- $work/all.csv"
	measure "ctxsplit -n 8 from a pipe" "rm -f p-*; cat $work/all.csv | $bin/ctxsplit -q -n 8 -o p-"
	measure "ctxsplit -n 8 --by schema-name" "rm -f k-*; $bin/ctxsplit -q -n 8 --by schema-name -o k- $work/all.csv"
	measure "seed pipeline, whole script" "cd $work && rm -rf contexts-*/ && bash $root/testdata/seed/ox-preprovision.sh -d $schemas -e $rows -n 8"
	measure "ctxrows | ctxsplit -n 8" "rm -f q-*; $bin/ctxrows -p secret -e $rows -d $schemas | $bin/ctxsplit -q -n 8 -o q-"
	cd "$root"
	echo
	awk "BEGIN{printf \"ctxrows is %.0f times faster than the seed's loop\n\", $seed/$ours}"
	echo
	echo "#### ctxsplit peak RSS as the input grows (round-robin)"
	echo
	echo "| rows | peak RSS |"
	echo "| --- | --- |"
	for n in 100000 1000000 4000000; do
		/usr/bin/time -f '%M' -o "$work/time" bash -c "$bin/ctxrows -p secret -e $n -d $schemas | $bin/ctxsplit -q -n 8 --force -o $work/m-" >/dev/null
		printf '| %d | %d MiB |\n' "$n" $(($(cat "$work/time") / 1024))
		rm -f "$work"/m-*
	done
	echo
}

gobench() {
	echo "### Go benchmarks"
	echo
	echo '```'
	(cd "$root" && go test -run '^$' -bench . -benchtime 2s ./pkg/... | grep -E '^(Benchmark|ok|pkg)')
	echo '```'
}

for p in $parts; do
	case $p in
	ctx) ctx ;;
	go) gobench ;;
	*) [ -f "$root/bench/$p.sh" ] && bash "$root/bench/$p.sh" ;;
	esac
done
