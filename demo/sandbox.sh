#!/usr/bin/env bash
# make sandbox: leave a running embedded IMAP server (the demo's), the files
# the README's examples use and the createcontext stand-in on PATH, so that
# every example can be pasted as is:
#   make sandbox && cd sandbox && . ./env.sh
# Stop it with: kill $(cat "$SANDBOX"/*.pid) (env.sh sets SANDBOX).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SANDBOX:-$root/sandbox}
bin=${PROVPIPE_BIN:-$root/bin}
standin=${STANDIN_BIN:-$bin/standin}
mkdir -p "$dir"
cd "$dir"
if [ -f imapdemo.pid ] && kill -0 "$(cat imapdemo.pid)" 2>/dev/null; then
	echo "sandbox: already running in $dir (kill \$(cat $dir/*.pid) stops it)" >&2
	exit 0
fi
(cd "$root" && go build -o "$dir/imapdemo" ./demo/imapdemo && go build -o "$dir/oxsoapdemo" ./demo/oxsoapdemo)
cp "$root/demo/schemas.csv" .
rm -f addr
# -keep: serve until SIGTERM, not until stdin closes; nohup keeps it past
# this shell.
ldap=()
# Debian installs slapd in /usr/sbin, which a user's PATH often leaves out.
if command -v slapd >/dev/null || [ -x /usr/sbin/slapd ]; then ldap=(-ldap "$dir"); fi
nohup ./imapdemo -keep "${ldap[@]}" -users 30 -list users.list -password-file sxadmin.pw >addr 2>imapdemo.log </dev/null &
echo $! >imapdemo.pid
# The Open-Xchange SOAP stand-in, for ctxcreate: the master password is the
# sandbox's $MASTER_PW.
OXSIM_MASTER_PASSWORD=oxadminmaster-secret nohup ./oxsoapdemo -keep >oxurl 2>oxsoapdemo.log </dev/null &
echo $! >oxsoapdemo.pid
for _ in $(seq 300); do [ -s addr ] && [ -s oxurl ] && break; sleep 0.05; done
[ -s addr ] || { echo "sandbox: the server did not start; see $dir/imapdemo.log" >&2; exit 1; }
[ -s oxurl ] || { echo "sandbox: the SOAP stand-in did not start; see $dir/oxsoapdemo.log" >&2; exit 1; }
mkdir -p oxstate
# The "Many hosts" example's ssh logins: four jobs on this machine.
printf '4/:\n' >nodes.txt
cat >env.sh <<ENV
# Source this file (. ./env.sh) in $dir: the README's variables and PATH.
export SANDBOX="$dir"
export IMAP_HOST=$(cat addr)
export OX_URL=$(cat oxurl)   # the Open-Xchange SOAP stand-in, for ctxcreate
export PATH="$bin:$standin:\$PATH"
export PW=context-admin-secret MASTER_PW=oxadminmaster-secret
export OXSIM_MASTER_PASSWORD="\$MASTER_PW"   # the stand-in platform's master password
export OXSIM_STATE="$dir/oxstate"   # what the createcontext stand-in has created
ENV
if [ -s ldap.url ]; then echo "export LDAP_URL=$(cat ldap.url)" >>env.sh; fi
cat >&2 <<MSG
sandbox: an embedded IMAP server on $(cat addr) (pid $(cat imapdemo.pid)), the Open-Xchange
  SOAP stand-in on $(cat oxurl) (pid $(cat oxsoapdemo.pid)), with
  users.list (30 users, sxadmin, sxqueryadmin), sxadmin.pw, schemas.csv, nodes.txt, env.sh
  cd $dir && . ./env.sh       then paste the README's examples, in order
  kill \$(cat "\$SANDBOX"/*.pid)   stops the servers (from anywhere, once env.sh is read)
MSG
if [ -s ldap.url ]; then
	echo "  and OpenLDAP on $(cat ldap.url) (LDAP_URL, query.pw), stopped with the server" >&2
else
	echo "  (no slapd here: the LDAP examples need apt-get install slapd, or an LDAP server of your own)" >&2
fi
