#!/usr/bin/env bash
# make demo: run provpipe's pipelines on embedded defaults, showing each
# command before its output. Needs nothing but the built binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="${PROVPIPE_BIN:-$root/bin}:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/provpipe-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$root/demo/schemas.csv" .

bold='' plain=''
if [ -t 2 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
# show CMD: print the command, then run it (a pipe into head may end early).
show() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain" >&2; bash -c "$*"; }

echo "== Scalix cache warming: the embedded IMAP server stands in for a Scalix server" >&2
(cd "$root" && go build -o "$work/imapdemo" ./demo/imapdemo)
# The server lives as long as its stdin: closing it (or this script ending
# any way at all) stops it, so no process is left behind.
coproc IMAPDEMO { exec "$work/imapdemo" -users 24 -list users.list -password-file admin.pw; }
# Bash unsets IMAPDEMO and IMAPDEMO_PID once the server has exited, which
# closing its stdin makes happen at any moment: keep them.
demo_pid=$IMAPDEMO_PID demo_in=${IMAPDEMO[1]}
read -r addr <&"${IMAPDEMO[0]}"
show "head -4 users.list"
show "sxusers -f users.list | sxwarm --host $addr --auth mboxadmin -u sxadmin --password-file admin.pw --format text"
exec {demo_in}>&-
wait "$demo_pid"

echo >&2
echo "== Open-Xchange fast-mode pre-provisioning: 10 000 contexts over 9 schemas on 3 databases" >&2
show "cat schemas.csv"
show "CTXROWS_PASSWORD=secret ctxrows -e 10000 -d schemas.csv | head -3"
show "CTXROWS_PASSWORD=secret ctxrows -e 10000 -d schemas.csv | ctxsplit -n 3 --by schema"
show "wc -l contexts-*.csv"
show "for f in contexts-*.csv; do printf '%s: ' \$f; tail -n +2 \$f | cut -d, -f13 | sort -u | tr -d '\"' | paste -sd' '; done"
echo >&2
echo "== The production path: the same rows created over Open-Xchange's SOAP API (an embedded stand-in here), never two streams in one schema" >&2
(cd "$root" && go build -o "$work/oxsoapdemo" ./demo/oxsoapdemo)
(umask 077 && printf 'demo-master-secret\n' >master.pw)
coproc OXSOAP { exec "$work/oxsoapdemo" -password-file master.pw; }
ox_pid=$OXSOAP_PID ox_in=${OXSOAP[1]}
read -r ox_url <&"${OXSOAP[0]}"
show "CTXROWS_PASSWORD=secret ctxrows -e 10000 -d schemas.csv | ctxcreate --url $ox_url --password-file master.pw -j 9 > created.tsv"
show "head -3 created.tsv"
exec {ox_in}>&-
wait "$ox_pid"
printf '\nOn a real platform: ctxcreate --url https://ox.example.com --password-file master.pw --done created.tsv --append created.tsv\n(the same command line resumes an interrupted run). make sandbox keeps servers and files for pasting the README.\n' >&2
