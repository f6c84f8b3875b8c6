#!/usr/bin/env bash
# make bench: measure provpipe beside the tools it replaces, on this machine,
# in one run. Prints a Markdown table per part; BENCHMARKS.md records them.
# Needs: GNU coreutils, GNU time (/usr/bin/time, Debian package "time").
# Environment: ROWS (default 1000000), CTX_ROUNDS (5), BENCH_PARTS (default "ctx imap effect go"),
# IMAP_USERS (200), IMAP_MESSAGES (500 per folder), IMAP_BIG (100000), IMAP_CUT_FROM (50), IMAP_CUT_TO (25), IMAP_CUT_AT (15),
# EFFECT_USERS (50), EFFECT_MESSAGES (1000 in each INBOX), EFFECT_CLIENTS (the clients whose first look is measured), SOAP_CONTEXTS (3000 per run),
# BENCH_LAB (where the Dovecot mailboxes are kept between runs: bench/.lab),
# CYRUS_ROOT (Cyrus unpacked; default: fetched with apt-get download into BENCH_LAB).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
rows=${ROWS:-1000000}
parts=${BENCH_PARTS:-ctx imap effect soap go}
work=$(mktemp -d "${TMPDIR:-/tmp}/provpipe-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing: apt-get install time" >&2; exit 2; }

# shown CMD...: the command as the table prints it, scratch directory as $W,
# repository as ., pipes escaped for Markdown.
shown() {
	local s=$*
	s=${s//$work/\$W}
	s=${s//$root/.}
	printf '%s' "${s//|/\\|}"
}

# measure LABEL CMD...: best wall time of 3 runs, with that run's user and
# system CPU, and the peak RSS of all three, as a table row; then its
# ratio to the floor and to GNU split when they were measured before it
# (in $floor and $split). The wall time is left in $work/last.
measure() {
	local label=$1; shift
	local best="" user="" sys="" rss=0 t u s r
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %U %S %M' -o "$work/time" bash -c "$*" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
		read -r t u s r <"$work/time"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t user=$u sys=$s; fi
		((r > rss)) && rss=$r
	done
	printf '| %s | `%s` | %.2f s | %.2f s | %.2f s | %d MiB | %s | %s |\n' "${label//|/\\|}" "$(shown "$@")" "$best" "$user" "$sys" \
		$((rss / 1024)) "$(ratio "$best" "${floor_t:-}")" "$(ratio "$best" "${split_t:-}")"
	echo "$best" >"$work/last"
}

# rounds: the commands of a table, added with row LABEL CMD, run by
# run_rows R: R rounds, each command once a round, in turn, so that a
# change in the machine's load falls on every row alike. Each row keeps its
# best wall time, that run's user and system CPU, and the peak RSS of all
# its runs. (A sync before each run, tried, made the next run's removal of
# the last output, which every row times as the project's aims are stated,
# slower and more variable than the write-back it was to keep out.) The
# wall time is bash's clock around the run, to the millisecond: GNU time's
# hundredths are a tenth of these rows, too coarse for a ratio to 10 %.
labels=() commands=() best=() users=() syss=() rsss=()
row() { labels+=("$1"); commands+=("$2"); best+=(""); users+=(""); syss+=(""); rsss+=(0); }
run_rows() {
	local t u s r start
	for ((round = 0; round < $1; round++)); do
		for i in "${!commands[@]}"; do
			start=${EPOCHREALTIME/[.,]/}
			/usr/bin/time -f '%e %U %S %M' -o "$work/time" bash -c "${commands[i]}" >/dev/null 2>"$work/err" ||
				{ cat "$work/err" >&2; return 1; }
			read -r t u s r <"$work/time"
			t=$(awk -v us=$((${EPOCHREALTIME/[.,]/} - start)) 'BEGIN{printf "%.3f", us / 1e6}')
			if [ -z "${best[i]}" ] || awk "BEGIN{exit !($t < ${best[i]})}"; then best[i]=$t users[i]=$u syss[i]=$s; fi
			if ((r > rsss[i])); then rsss[i]=$r; fi
		done
	done
}

# best_of LABEL: the best wall time of the row so named.
best_of() {
	for i in "${!labels[@]}"; do [ "${labels[i]}" = "$1" ] && echo "${best[i]}" && return; done
}

# print_rows FLOOR SPLIT: the table rows, with ratios to the two labels' rows.
print_rows() {
	local floor split; floor=$(best_of "$1") split=$(best_of "$2")
	for i in "${!labels[@]}"; do
		local f="$floor" g="$split"
		if [ "${labels[i]}" = "$1" ]; then f=""; fi
		if [ "${labels[i]}" = "$1" ] || [ "${labels[i]}" = "$2" ]; then g=""; fi
		printf '| %s | `%s` | %.3f s | %.2f s | %.2f s | %d MiB | %s | %s |\n' "${labels[i]//|/\\|}" "$(shown "${commands[i]}")" \
			"${best[i]}" "${users[i]}" "${syss[i]}" $((rsss[i] / 1024)) "$(ratio "${best[i]}" "$f")" "$(ratio "${best[i]}" "$g")"
	done
}

# ratio A B: A/B as "1.23x", or "-" without B.
ratio() {
	if [ -z "$2" ]; then echo "-"; else awk "BEGIN{printf \"%.2fx\", $1/$2}"; fi
}

# aim WHAT A B LIMIT: one line of the project's aims, A/B against LIMIT.
aim() {
	awk -v what="$1" -v a="$2" -v b="$3" -v limit="$4" 'BEGIN{
		r = a / b; printf "| %s | %.2fx | <= %.2fx | %s |\n", what, r, limit, (r <= limit ? "met" : "not met") }'
}

# processor: the machine's processor as /proc/cpuinfo names it (family and
# model too: the same name covers generations that time differently).
processor() {
	awk -F': ' '/^model name/ {name = $2} /^cpu family/ {family = $2} /^model\t/ {model = $2}
		END {if (name == "") print "'"$(uname -m)"'"; else printf "%s, family %s model %s\n", name, family, model}' /proc/cpuinfo 2>/dev/null || uname -m
}

ctx() {
	local schemas=$root/testdata/seed/schemas-name.csv
	local rounds=${CTX_ROUNDS:-5}
	echo "### ctxrows and ctxsplit, $rows contexts ($(nproc) cores, $(processor); \$W is a scratch directory)"
	echo
	echo "The floor is \`cat | cat\` into a file: the least it costs to move these bytes through a pipe onto disk."
	echo "Every command ran $rounds times, all of them in turn each round; best of the $rounds."
	echo
	echo "| what | command | best of $rounds | user CPU | system CPU | peak RSS | x floor | x GNU split |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	"$bin/ctxrows" -p secret -e "$rows" -d "$schemas" >"$work/all.csv" 2>/dev/null
	tail -n +2 "$work/all.csv" >"$work/body.csv"
	cd "$work"
	local floor="floor: cat through a pipe into a file" split="GNU split -n r/8"
	row "$floor" "rm -f $work/floor.csv; cat $work/all.csv | cat > $work/floor.csv"
	row "$split" "rm -f s-*; split -n r/8 --numeric-suffixes=1 --additional-suffix=.csv $work/body.csv s-"
	row "GNU split -u -n r/8" "rm -f u-*; split -u -n r/8 --numeric-suffixes=1 --additional-suffix=.csv $work/body.csv u-"
	row "ctxrows to a file" "rm -f $work/gen.csv; $bin/ctxrows -p secret -e $rows -d $schemas > $work/gen.csv"
	row "ctxsplit -n 8" "rm -f c-*; $bin/ctxsplit -q -n 8 -o c- $work/all.csv"
	row "ctxsplit -n 8 from a pipe" "rm -f p-*; cat $work/all.csv | $bin/ctxsplit -q -n 8 -o p-"
	row "ctxsplit -n 8 --by schema" "rm -f k-*; $bin/ctxsplit -q -n 8 --by schema -o k- $work/all.csv"
	row "ctxrows | ctxsplit -n 8" "rm -f q-*; $bin/ctxrows -p secret -e $rows -d $schemas | $bin/ctxsplit -q -n 8 -o q-"
	run_rows "$rounds"
	print_rows "$floor" "$split"
	local gen rr by piped f s
	gen=$(best_of "ctxrows to a file") rr=$(best_of "ctxsplit -n 8") by=$(best_of "ctxsplit -n 8 --by schema")
	piped=$(best_of "ctxrows | ctxsplit -n 8") f=$(best_of "$floor") s=$(best_of "$split")
	floor_t=$f split_t=$s # the ratios of the rows measure adds
	if [ -z "${SKIP_SEED:-}" ]; then
		measure "seed's bash loop" "bash $root/bench/seed-loop.sh $schemas 1 $rows $work/seed.csv"
		local seed; seed=$(cat "$work/last")
		measure "seed pipeline, whole script" "cd $work && rm -rf contexts-*/ && bash $root/testdata/seed/ox-preprovision.sh -d $schemas -e $rows -n 8"
	fi
	cd "$root"
	echo
	[ -n "${seed:-}" ] && awk "BEGIN{printf \"ctxrows is %.0f times faster than the seed's loop\n\", $seed/$gen}" && echo
	echo "#### Against the aims (ratios of this run)"
	echo
	echo "| aim | measured | limit | |"
	echo "| --- | --- | --- | --- |"
	aim "ctxsplit -n 8 from a file / GNU split -n r/8" "$rr" "$s" 0.5
	aim "ctxsplit -n 8 from a file / floor" "$rr" "$f" 2.0
	aim "ctxrows \\| ctxsplit -n 8 / floor" "$piped" "$f" 2.5
	aim "ctxsplit --by schema / ctxsplit round-robin" "$by" "$rr" 1.10
	aim "ctxrows to a file / floor" "$gen" "$f" 1.5
	echo
	echo "#### ctxsplit peak RSS as the input grows (round-robin, from a pipe)"
	echo
	echo "| rows | peak RSS |"
	echo "| --- | --- |"
	for n in 100000 1000000 4000000; do
		/usr/bin/time -f '%M' -o "$work/time" bash -c "$bin/ctxrows -p secret -e $n -d $schemas | $bin/ctxsplit -q -n 8 --force -o $work/m-" >/dev/null 2>"$work/err" ||
			{ cat "$work/err" >&2; return 1; }
		printf '| %d | %d MiB |\n' "$n" $(($(cat "$work/time") / 1024))
		rm -f "$work"/m-*
	done
	echo
}

# imap_once CMD: start the lab Dovecot on cold indexes (or the server
# LAB_SERVE names, restarted), run CMD with the
# server address in $ADDR, stop the server; GNU time's figures in $work/time.
imap_once() {
	# LAB_SERVE and LAB_ARGS: another server (cyrus-serve -root R).
	coproc LAB { [ -n "${CAP_DIR:-}" ] && echo "$BASHPID" >"$CAP_DIR/tasks"; exec "$work/imaplab" ${LAB_SERVE:-serve} "$lab" ${LAB_ARGS:-} 2>"$work/lab.err"; }
	# Bash unsets LAB and LAB_PID once the server has exited: keep them.
	local lab_pid=$LAB_PID lab_in=${LAB[1]}
	local addr; read -r addr <&"${LAB[0]}" || { cat "$work/lab.err" >&2; return 1; }
	ADDR=$addr /usr/bin/time -f '%e %U %S %M' -o "$work/time" bash -c "$*" >"$work/out" 2>"$work/err" ||
		{ echo "bench: failed: $*" >&2; cat "$work/err" >&2; }
	eval "exec $lab_in>&-"
	wait "$lab_pid" 2>/dev/null || true
}

# imap_run LABEL USERS MESSAGES CMD...: best of 2 cold runs as a table row:
# wall time, users/s, client CPU per 1000 messages, client peak RSS.
imap_run() {
	local label=$1 users=$2 msgs=$3; shift 3
	local best="" line wall user sys rss
	for _ in 1 2; do
		imap_once "$@"
		read -r wall user sys rss <"$work/time"
		if [[ $label == sxwarm* ]]; then # its TSV says how much it read
			local got; got=$(awk -F'\t' '{s += $4} END {print s + 0}' "$work/out")
			[ "$got" = "$msgs" ] || echo "bench: $label warmed $got messages, not $msgs" >&2
		fi
		if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall line="$wall $user $sys $rss"; fi
	done
	read -r wall user sys rss <<<"$line"
	printf '| %s | `%s` | %.2f s | %.1f | %.0f ms | %d MiB |\n' "$label" "$(shown "$@")" "$wall" \
		"$(awk "BEGIN{print $users/$wall}")" "$(awk "BEGIN{print ($user+$sys)*1000*1000/$msgs}")" $((rss / 1024))
	echo "$wall" >"$work/last"
}

# sample_series PID SERIES COUNTED CUT ACTION...: every second while PID
# runs, append "second lines-of-COUNTED" to SERIES; at second CUT, run
# ACTION (in this shell, so that it may set variables).
sample_series() {
	local pid=$1 series=$2 counted=$3 cut=$4 t=0
	shift 4
	: >"$series"
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		t=$((t + 1))
		echo "$t $(wc -l <"$counted")" >>"$series"
		((t == cut)) && "$@"
	done
	return 0
}

# recovery SERIES CUT BEST UNIT: the rate before the cut, and how long
# after it the rate (5-second windows) was back within 0.9x of BEST.
recovery() {
	awk -v cut="$2" -v best="$3" -v unit="$4" '
		{ at[$1] = $2; last = $1 }
		END {
			before = (at[cut] - at[cut - 5]) / 5
			back = -1
			for (s = cut + 5; s <= last; s++) {
				if ((at[s] - at[s - 5]) / 5 >= 0.9 * best) { back = s - cut; break }
			}
			printf "Before the cut: %.1f %s/s. ", before, unit
			if (back >= 0) printf "After it, back within 0.9x of the best fixed -j %d s after the cut (aim: 20 s; the first window that can show it ends 5 s after).\n", back
			else printf "After it, never within 0.9x of the best fixed -j before the run ended (%d s after the cut).\n", last - cut
		}' "$1"
}

# Dovecot's CPU capacity, the knob of imap_cut: a cgroup (v1 "cpu"
# controller) that the lab's Dovecot is started in and whose quota the bench
# sets. cap_init prints nothing and fails where no such cgroup can be made.
cap_dir=""
cap_init() {
	local d=/sys/fs/cgroup/cpu/provpipe-bench-$$
	mkdir -p "$d" 2>/dev/null && [ -w "$d/cpu.cfs_quota_us" ] || return 1
	cap_dir=$d
	trap 'rm -rf "$work"; [ -n "$cap_dir" ] && rmdir "$cap_dir" 2>/dev/null' EXIT
}
# cap_set PERCENT: Dovecot may use PERCENT of one core from now on.
cap_set() { echo $(($1 * 1000)) >"$cap_dir/cpu.cfs_quota_us"; }

# imap_cut: sxwarm -j auto when Dovecot's capacity is cut partway. Dovecot
# runs in a cgroup allowed IMAP_CUT_FROM % of one core (50); at second
# IMAP_CUT_AT (15) of a cold run over the lab's users the bench cuts it to
# IMAP_CUT_TO % (25), and counts the folders done every second. Then fixed
# -j 1 to 32 at the cut capacity, each on cold indexes over the first
# quarter of the users. Prints when auto was back within 0.9x of the best
# fixed -j (5-second windows). Without a writable cgroup, says so and skips.
imap_cut() {
	cap_init || { echo "bench: no writable cgroup (/sys/fs/cgroup/cpu): capacity-cut run skipped" >&2; return 0; }
	local from=${IMAP_CUT_FROM:-50} to=${IMAP_CUT_TO:-25} cut=${IMAP_CUT_AT:-15}
	local series=$work/imapcut.series sx="$bin/sxwarm --host \$ADDR --auth master -u warmadmin --password-file $work/pw -q"
	: >"$work/imapcut.tsv"
	cap_set "$from"
	CAP_DIR=$cap_dir imap_once "${sx% -q} -j auto --auto-interval 1s < $work/users > $work/imapcut.tsv 2> $work/imapcut.err" &
	local run=$!
	sample_series "$run" "$series" "$work/imapcut.tsv" "$cut" cap_set "$to"
	wait "$run" || true
	local level; level=$(sed -n 's/.*-j auto: ended at \([0-9]*\) .*visited \([0-9]*\) to \([0-9]*\).*/\1 (visited \2 to \3)/p' "$work/imapcut.err")
	head -$(($(wc -l <"$work/users") / 4)) "$work/users" >"$work/users.quarter"
	local j best=0 bestj=0 r wall folders=$(($(wc -l <"$work/users.quarter") * 4)) rows=""
	for j in 1 2 4 8 16 32; do
		CAP_DIR=$cap_dir imap_once "$sx -j $j < $work/users.quarter > /dev/null"
		read -r wall _ <"$work/time"
		r=$(awk "BEGIN{print $folders/$wall}")
		rows+=" $j:$(printf '%.1f' "$r")"
		if awk "BEGIN{exit !($r > $best)}"; then best=$r bestj=$j; fi
	done
	echo
	echo "#### -j auto when Dovecot's capacity is cut (Dovecot in a cgroup: $from % of a core, then $to % from second $cut of a cold run over $(wc -l <"$work/users") users)"
	echo
	echo "Fixed -j at $to % of a core, folders/s (j:rate):$rows; best $(printf '%.1f' "$best") at -j $bestj. -j auto ended at $level."
	recovery "$series" "$cut" "$best" folders
}

# imap_setup: the lab (written once, kept in $BENCH_LAB), its user list and
# the master password; fails when Dovecot is missing.
imap_setup() {
	command -v dovecot >/dev/null || { echo "bench: dovecot missing (apt-get install dovecot-imapd); imap part skipped" >&2; return 1; }
	local n=${IMAP_USERS:-200} m=${IMAP_MESSAGES:-500} big=${IMAP_BIG:-100000}
	lab=${BENCH_LAB:-$root/bench/.lab}/u$n-m$m-b$big
	go build -o "$work/imaplab" "$root/bench/imaplab"
	if [ ! -f "$lab/users.passwd" ]; then
		echo "bench: writing $n users x 4 folders x $m messages and a $big-message folder to $lab (once)" >&2
		rm -rf "$lab"
		"$work/imaplab" populate "$lab" -users "$n" -messages "$m" -big "$big"
	fi
	# Read every message once so that all runs meet a warm page cache and
	# cold Dovecot indexes, whichever runs first.
	find "$lab/mail" -type f -print0 | xargs -0 cat >/dev/null
	seq 0 $((n - 1)) | sed 's/^/user/' >"$work/users"
	printf '%s\n' master-pw >"$work/pw"
	chmod 600 "$work/pw"
}

imap() {
	imap_setup || return 0
	local n=${IMAP_USERS:-200} m=${IMAP_MESSAGES:-500} big=${IMAP_BIG:-100000}
	local msgs=$((n * 4 * m))
	echo "### sxwarm against Dovecot: $n users x 4 folders x $m messages, cold Dovecot indexes, warm page cache, best of 2 ($(nproc) cores, $(processor); \$W is a scratch directory)"
	echo
	echo "| what | command | wall | users/s | client CPU per 1000 msgs | client peak RSS |"
	echo "| --- | --- | --- | --- | --- | --- |"
	imap_run "Python imaplib, sequential" "$n" "$msgs" "python3 $root/bench/imaplib_warm.py \$ADDR warmadmin $work/pw < $work/users"
	local py; py=$(cat "$work/last")
	local best=""
	for j in 1 2 4 8 16 32; do
		imap_run "sxwarm -j $j" "$n" "$msgs" "$bin/sxwarm --host \$ADDR --auth master -u warmadmin --password-file $work/pw -j $j -q < $work/users"
		local t; t=$(cat "$work/last")
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
	done
	imap_run "sxwarm -j auto" "$n" "$msgs" "$bin/sxwarm --host \$ADDR --auth master -u warmadmin --password-file $work/pw -j auto --auto-interval 1s -q < $work/users"
	echo
	awk "BEGIN{printf \"best sxwarm run is %.1f times faster than the sequential imaplib client\n\", $py/$best}"
	imap_cut
	if ((big > 0)); then
		echo
		echo "#### One folder of $big messages (biguser's INBOX), cold"
		echo
		echo "| what | command | wall | users/s | client CPU per 1000 msgs | client peak RSS |"
		echo "| --- | --- | --- | --- | --- | --- |"
		imap_run "sxwarm" 1 "$big" "echo biguser | $bin/sxwarm --host \$ADDR --auth master -u warmadmin --password-file $work/pw -F INBOX -q"
		imap_run "Python imaplib" 1 "$big" "echo biguser | python3 $root/bench/imaplib_warm.py \$ADDR warmadmin $work/pw"
	fi
	echo
}

# effect_run CMD: one cold-lab run of CMD; the client's seconds from its output.
effect_run() {
	imap_once "$@"
	read -r secs _ <"$work/out"
	echo "$secs"
}

# effect_cells LOOK BEFORE...: for each BEFORE (a command, or "" for
# none), the best of 3 seconds of LOOK run after it on a fresh server, all
# on one line; the rounds take every BEFORE in turn, so that a drift of the
# machine touches every column alike.
effect_cells() {
	local look=$1 before i
	shift
	local -a times=()
	for _ in 1 2 3; do
		i=0
		for before in "$@"; do
			times[i]+=" $(effect_run "${before:+$before && }$look")"
			i=$((i + 1))
		done
	done
	local cells=()
	for i in "${!times[@]}"; do
		# shellcheck disable=SC2086 # three numbers, split on purpose
		cells+=("$(best ${times[i]})")
	done
	echo "${cells[*]}"
}

# best TIMES...: the smallest.
best() { printf '%s\n' "$@" | sort -g | head -1; }

# previous_default: the default profile's items before the client lists
# of mutt, neomutt, alpine, K-9, SOGo, Nextcloud and SnappyMail and the
# envelope's Sender were added: the yardstick of the warming-time aim.
previous_default="UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To List-Post Disposition-Notification-To)]"

# profile_items NAME: a --profile's FETCH items, as the man page lists them.
profile_items() {
	"$bin/sxwarm" --help-man | awk -v p="$1:" '$1 == p {sub(/^[^:]*: /, ""); print; exit}' | sed 's/\\-/-/g'
}

# effect: does warming pay off? For each client's first-look FETCH (read
# in its source: see docs/scalix-warming.md), the client's first access to
# every user's INBOX cold, after sxwarm with the whole-header fetch, with
# the previous and the current default profile and with the client's own
# profile, and the client's second access (what a perfect warm-up would
# give). Then the warming time of each profile. Best of 3, each on freshly
# deleted Dovecot indexes.
# effect_setup: the lab tools, the user list and the password file of the
# effect parts.
effect_setup() {
	go build -o "$work/imaplab" "$root/bench/imaplab"
	go build -o "$work/firstlook" "$root/bench/firstlook"
	seq 0 $((${EFFECT_USERS:-50} - 1)) | sed 's/^/user/' >"$work/users"
	printf '%s\n' master-pw >"$work/pw"
	chmod 600 "$work/pw"
}

effect() {
	command -v dovecot >/dev/null || { echo "bench: dovecot missing (apt-get install dovecot-imapd); effect part skipped" >&2; return 0; }
	local n=${EFFECT_USERS:-50} m=${EFFECT_MESSAGES:-1000}
	lab=${BENCH_LAB:-$root/bench/.lab}/effect-u$n-m$m
	effect_setup
	if [ ! -f "$lab/users.passwd" ]; then
		echo "bench: writing $n users with a $m-message INBOX to $lab (once)" >&2
		rm -rf "$lab"
		"$work/imaplab" populate "$lab" -users "$n" -messages "$m" -big 0 -folders INBOX
	fi
	find "$lab/mail" -type f -print0 | xargs -0 cat >/dev/null
	echo "### Warming effect on Dovecot $(dovecot --version | cut -d' ' -f1): $n users x $m-message INBOX, each user's first look by a client's FETCH, best of 3, seconds for all users one after the other"
	echo
	echo "| client's FETCH | cold | after \`--profile header\` | after the previous default | after \`--profile default\` | after its own profile | second access | default / second | gain delivered by default |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	local warm="$bin/sxwarm --host \$ADDR --auth master -u warmadmin --password-file $work/pw -F INBOX -j 4 -q < $work/users > /dev/null"
	local client
	for client in ${EFFECT_CLIENTS:-thunderbird roundcube mutt neomutt alpine k9 sogo evolution}; do
		local items look
		items=$(profile_items "$client")
		look="$work/firstlook -addr \$ADDR -password-file $work/pw -fetch '$items' < $work/users"
		local c h p d o s
		read -r c h p d o s < <(effect_cells "$look" "" "$warm --profile header" "$warm --fetch '$previous_default'" \
			"$warm --profile default" "$warm --profile $client" "$look > /dev/null")
		printf '| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2fx | %.0f %% |\n' "$client" "$c" "$h" "$p" "$d" "$o" "$s" \
			"$(awk "BEGIN{print $d/$s}")" "$(awk "BEGIN{print ($c-$d)/($c-$s)*100}")"
	done
	echo
	echo "Command of a cell: \`$(shown "${warm/ -q / -q --profile P }")\` then \`$(shown "$work/firstlook -addr \$ADDR -password-file $work/pw -fetch 'ITEMS' < $work/users")\`, ITEMS the client's profile from \`sxwarm --help-man\`."
	echo
	warming_time
	effect_cyrus
}

# warming_time: how long sxwarm takes to warm the lab from cold with each
# profile, and with the default plus BODYSTRUCTURE (sent as a second FETCH:
# should the default warm it?), best of 3.
warming_time() {
	echo "#### Warming time per profile ($n users x $m messages, -j 4, cold, best of 3)"
	echo
	echo "| profile | seconds | / previous default |"
	echo "| --- | --- | --- |"
	local base="" p t runs
	for p in previous-default default default+BODYSTRUCTURE header thunderbird mutt neomutt alpine k9 sogo evolution; do
		local args="--profile $p"
		case $p in
		previous-default) args="--fetch '$previous_default'" ;;
		default+BODYSTRUCTURE) args="--fetch '$(profile_items default) BODYSTRUCTURE'" ;;
		esac
		runs=()
		for _ in 1 2 3; do
			imap_once "$bin/sxwarm --host \$ADDR --auth master -u warmadmin --password-file $work/pw -F INBOX -j 4 -q $args < $work/users > /dev/null"
			read -r t _ <"$work/time"
			runs+=("$t")
		done
		t=$(best "${runs[@]}")
		[ -z "$base" ] && base=$t
		printf '| %s | %.2f | %.2fx |\n' "$p" "$t" "$(awk "BEGIN{print $t/$base}")"
	done
	echo
}

# cyrus_root: where Cyrus is unpacked (Debian's cyrus-imapd conflicts with
# dovecot-imapd, so it is not installed): $CYRUS_ROOT, or the packages
# fetched with apt-get download and unpacked under the lab. Fails, saying
# why, when that cannot be done or a library is missing.
cyrus_root() {
	local r=${CYRUS_ROOT:-${BENCH_LAB:-$root/bench/.lab}/cyrus-root}
	if [ ! -x "$r/usr/lib/cyrus/bin/imapd" ]; then
		local pkgs; pkgs=$(mktemp -d "$work/cyrus-pkg.XXXXXX")
		(cd "$pkgs" && apt-get download cyrus-imapd cyrus-common >/dev/null 2>&1) ||
			{ echo "bench: cannot fetch cyrus-imapd and cyrus-common (apt-get download); Cyrus part skipped" >&2; return 1; }
		mkdir -p "$r"
		for deb in "$pkgs"/*.deb; do dpkg -x "$deb" "$r"; done
	fi
	local missing
	missing=$(LD_LIBRARY_PATH=$r/usr/lib/x86_64-linux-gnu ldd "$r/usr/lib/cyrus/bin/imapd" "$r/usr/lib/cyrus/bin/master" | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
	if [ -n "$missing" ]; then
		echo "bench: Cyrus needs $missing(apt-get install libical3 libpcre3 libxapian30); Cyrus part skipped" >&2
		return 1
	fi
	echo "$r"
}

# effect_cyrus: the effect table on Cyrus IMAP. Cyrus writes its cache
# (cyrus.cache, a fixed set of header fields) when a message is delivered,
# so "cold" here is a freshly started server on a freshly reconstructed
# spool: the state after a migration; each run restarts the server.
effect_cyrus() {
	local croot n=${EFFECT_USERS:-50} m=${EFFECT_MESSAGES:-1000}
	croot=$(cyrus_root) || return 0
	local clab=${BENCH_LAB:-$root/bench/.lab}/cyrus-u$n-m$m
	if [ ! -f "$clab/populated" ]; then
		echo "bench: delivering $n users x $m messages to Cyrus in $clab (once)" >&2
		rm -rf "$clab"
		"$work/imaplab" cyrus-populate "$clab" -root "$croot" -users "$n" -messages "$m"
	fi
	find "$clab/spool" -type f -print0 | xargs -0 cat >/dev/null
	local lab=$clab
	export LAB_SERVE=cyrus-serve LAB_ARGS="-root $croot"
	echo "### Warming effect on Cyrus IMAP $(zcat "$croot/usr/share/doc/cyrus-common/changelog.Debian.gz" | sed -n '1s/.*(\(.*\)).*/\1/p'): $n users x $m-message INBOX, as above; every run on a freshly started server"
	echo
	echo "| client's FETCH | first look | after \`--profile default\` | after its own profile | second access | default / second | gain delivered by default |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	local warm="$bin/sxwarm --host \$ADDR --auth authzid -u cyradm --password-file $work/pw -F INBOX -j 4 -q < $work/users > /dev/null"
	local client
	for client in ${EFFECT_CLIENTS:-thunderbird roundcube mutt neomutt alpine k9 sogo evolution}; do
		local items look c d o s
		items=$(profile_items "$client")
		look="$work/firstlook -addr \$ADDR -authzid -master cyradm -password-file $work/pw -fetch '$items' < $work/users"
		read -r c d o s < <(effect_cells "$look" "" "$warm --profile default" "$warm --profile $client" "$look > /dev/null")
		printf '| %s | %.2f | %.2f | %.2f | %.2f | %.2fx | %s |\n' "$client" "$c" "$d" "$o" "$s" "$(awk "BEGIN{print $d/$s}")" \
			"$(awk "BEGIN{g = $c - $s; if (g < 0.05 * $c) print \"none to gain (first look within 5 % of the second)\"; else printf \"%.0f %%\", ($c-$d)/g*100}")"
	done
	unset LAB_SERVE LAB_ARGS
	echo
	echo "Command of a cell: \`$(shown "${warm/ -q / -q --profile P }")\` then \`$(shown "$work/firstlook -addr \$ADDR -authzid -master cyradm -password-file $work/pw -fetch 'ITEMS' < $work/users")\`, ITEMS the client's profile from \`sxwarm --help-man\`."
	echo
}

# soap: ctxcreate against the SOAP stand-in on a throwaway MariaDB, for -j
# 1 to 32, beside the floor (soaplab load: prebuilt bodies, the same
# concurrency, no two creates into one schema), and without schema affinity
# (what shards sharing a schema do), with the deadlocks the database met.
soap() {
	local n=${SOAP_CONTEXTS:-3000} lab="$work/soaplab"
	(cd "$root" && go build -o "$lab" ./bench/soaplab)
	{
		echo "schema,destination-database-id,destination-store-id"
		for s in $(seq 32); do echo "bench_$s,$((3 * ((s - 1) % 3 + 1))),2"; done
	} >"$work/schemas32.csv"
	head -5 "$work/schemas32.csv" >"$work/schemas4.csv"
	export CTXROWS_PASSWORD=secret
	printf 'bench-master\n' >"$work/master.pw"
	chmod 600 "$work/master.pw"
	coproc LAB { exec "$lab" serve "$work/mariadb"; }
	local lab_in=${LAB[1]} lab_pid=$LAB_PID url
	read -r url <&"${LAB[0]}"
	echo "### ctxcreate against the Open-Xchange SOAP stand-in on MariaDB $(mariadbd --version | awk '{print $3}'), $n contexts a run over 32 schemas on 3 databases ($(processor); \$W is a scratch directory)"
	echo
	echo "Best of 3 runs for ctxcreate and the floor (in turn), one run for the 4-schema columns."
	echo
	echo "| -j | ctxcreate, 32 schemas | floor (soaplab load), 32 schemas | ctxcreate / floor | ctxcreate, 4 schemas | ctxcreate --no-affinity, 4 schemas | deadlocks met without affinity | contexts retried without affinity |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	local first=1 j t f a4 na before after retried
	for j in 1 2 4 8 16 32; do
		# ctxcreate and the floor in turn, three rounds; the best of each.
		t="" f=""
		for _ in 1 2 3; do
			local t1 f1
			t1=$(timed "$bin/ctxrows -s $first -e $((first + n - 1)) -d $work/schemas32.csv | $bin/ctxcreate -q --url $url --password-file $work/master.pw -j $j > $work/soap.tsv")
			first=$((first + n))
			f1=$("$lab" load "$url" "$j" "$first" "$n" 32 | awk '{print $6}')
			first=$((first + n))
			if [ -z "$t" ] || awk "BEGIN{exit !($t1 < $t)}"; then t=$t1; fi
			if [ -z "$f" ] || awk "BEGIN{exit !($f1 > $f)}"; then f=$f1; fi
		done
		a4=$(timed "$bin/ctxrows -s $first -e $((first + n - 1)) -d $work/schemas4.csv | $bin/ctxcreate -q --url $url --password-file $work/master.pw -j $j > $work/soap4.tsv")
		first=$((first + n))
		read -r _ _ before < <("$lab" stats "$url")
		na=$(timed "$bin/ctxrows -s $first -e $((first + n - 1)) -d $work/schemas4.csv | $bin/ctxcreate -q --url $url --password-file $work/master.pw -j $j --no-affinity > $work/soap-na.tsv")
		first=$((first + n))
		read -r _ _ after < <("$lab" stats "$url")
		retried=$(awk -F'\t' '$6 > 1' "$work/soap-na.tsv" | wc -l)
		printf '| %d | %.0f contexts/s | %.0f contexts/s | %.2fx | %.0f contexts/s | %.0f contexts/s | %d | %d |\n' "$j" \
			"$(awk "BEGIN{print $n/$t}")" "$f" "$(awk "BEGIN{print ($n/$t)/$f}")" "$(awk "BEGIN{print $n/$a4}")" "$(awk "BEGIN{print $n/$na}")" $((after - before)) "$retried"
	done
	echo
	# -j auto beside the fixed levels: contexts/s and the p95 seconds of a
	# context, on a longer run so that it has time to find its level.
	local na=${SOAP_AUTO_CONTEXTS:-30000}
	echo "#### -j auto beside fixed -j ($na contexts a run, 32 schemas)"
	echo
	echo "| -j | contexts/s | p95 seconds a context | level at the end (visited) |"
	echo "| --- | --- | --- | --- |"
	for j in 1 4 16 32 auto; do
		t=$(timed "$bin/ctxrows -s $first -e $((first + na - 1)) -d $work/schemas32.csv | $bin/ctxcreate --url $url --password-file $work/master.pw -j $j --auto-interval 1s > $work/auto.tsv 2>$work/auto.err")
		first=$((first + na))
		local level="-"
		[ "$j" = auto ] && level=$(sed -n 's/.*-j auto: ended at \([0-9]*\) streams, visited \([0-9]*\) to \([0-9]*\).*/\1 (\2 to \3)/p' "$work/auto.err")
		printf '| %s | %.0f | %s | %s |\n' "$j" "$(awk "BEGIN{print $na/$t}")" "$(cut -f3 "$work/auto.tsv" | sort -n | awk '{a[NR] = $1} END {print a[int(NR * 0.95)]}')" "$level"
	done
	echo
	soap_cut "$url" "$first"
	first=$((first + 200000))
	echo "Command of a ctxcreate cell: \`$(shown "CTXROWS_PASSWORD=secret ./bin/ctxrows -s FIRST -e LAST -d $work/schemas32.csv | ./bin/ctxcreate -q --url \$URL --password-file $work/master.pw -j J [--no-affinity]")\` (4 schemas: \`schemas4.csv\`); of a floor cell: \`$(shown "soaplab load \$URL J FIRST $n 32")\`."
	echo
	exec {lab_in}>&-
	wait "$lab_pid"
}

# soap_cut URL FIRST: -j auto when the server's capacity is cut halfway: a
# run of ctxcreate -j auto, its results counted every second, and after
# CUT_AT seconds two busy loops take the machine's CPU from MariaDB and the
# stand-in; then fixed -j under the same load, for the level auto should
# come back to. Prints when auto was back within 0.9x of the best fixed -j
# under load (a 5-second window).
soap_cut() {
	local url=$1 first=$2 n=${SOAP_CUT_CONTEXTS:-60000} cut=${CUT_AT:-25}
	local series=$work/cut.series
	: >"$work/cut.tsv"
	bash -c "$bin/ctxrows -s $first -e $((first + n - 1)) -d $work/schemas32.csv | $bin/ctxcreate -q --url $url --password-file $work/master.pw -j auto --auto-interval 1s --append $work/cut.tsv" &
	local run=$! load=() # busy_loops adds to it
	sample_series "$run" "$series" "$work/cut.tsv" "$cut" busy_loops 2
	wait "$run" || true
	first=$((first + n))
	# The best fixed -j under the same load.
	local j best=0 bestj=0 r m=10000
	for j in 2 4 8 16 32; do
		r=$(timed "$bin/ctxrows -s $first -e $((first + m - 1)) -d $work/schemas32.csv | $bin/ctxcreate -q --url $url --password-file $work/master.pw -j $j > /dev/null")
		first=$((first + m))
		r=$(awk "BEGIN{print $m/$r}")
		if awk "BEGIN{exit !($r > $best)}"; then best=$r bestj=$j; fi
	done
	((${#load[@]})) && kill "${load[@]}"
	echo "#### -j auto when the capacity is cut (two busy loops from second $cut of a $n-context run)"
	echo
	echo "Best fixed -j under the same load: $(printf '%.0f' "$best") contexts/s at -j $bestj."
	recovery "$series" "$cut" "$best" contexts
	echo
}

# busy_loops N: start N busy loops, their pids added to the caller's load
# (the capacity cut of soap_cut: they take the cores' CPU from the server).
busy_loops() {
	for _ in $(seq "$1"); do
		bash -c 'while :; do :; done' &
		load+=($!)
	done
}

# timed CMD: the wall time of one run of CMD, in seconds.
timed() {
	local start=${EPOCHREALTIME/[.,]/}
	bash -c "$1" || return 1
	awk -v us=$((${EPOCHREALTIME/[.,]/} - start)) 'BEGIN{printf "%.3f", us / 1e6}'
}

gobench() {
	echo "### Go benchmarks"
	echo
	echo '```'
	(cd "$root" && go test -run '^$' -bench . -benchtime 2s ./pkg/... ./internal/... | grep -E '^(Benchmark|ok|pkg)')
	echo '```'
}

for p in $parts; do
	case $p in
	ctx) ctx ;;
	imap) imap ;;
	imapcut) imap_setup && imap_cut ;;
	effect) effect ;;
	cyrus) effect_setup && effect_cyrus ;;
	soap) soap ;;
	go) gobench ;;
	*) [ -f "$root/bench/$p.sh" ] && bash "$root/bench/$p.sh" ;;
	esac
done
