#!/usr/bin/env bash
# A real demo against a local etcd that this script starts (and stops): conch elect hands over in
# milliseconds, and kills its command when the lease is lost, where `etcdctl lock` does not.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-debian.sh
# The scripts //DEPS the lib from the Maven repository JBang reads; (re)install it only when a source
# is newer than the jar there, so a second run does not pay Maven's start-up.
version=$(scripts/version.sh)
lib_jar=${JBANG_REPO:-$HOME/.m2/repository}/dev/conch/conch-lib/$version/conch-lib-$version.jar
if [ ! -e "$lib_jar" ] || [ -n "$(find pom.xml lib/pom.xml lib/src -newer "$lib_jar" -print -quit)" ]; then
  TMPDIR_LOG=$(mktemp)
  mvn -B -ntp -q -Dstyle.color=never -pl lib -am install -DskipTests >"$TMPDIR_LOG" 2>&1 || { cat "$TMPDIR_LOG" >&2; exit 1; }
  rm -f "$TMPDIR_LOG"
fi

work=$(mktemp -d)
# a port where nothing listens (connecting fails), and the next one free too for etcd's peer URL;
# below Linux's ephemeral ports (32768 and up), which other programs' connections take at random
listening() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_etcd() {
  port=$((20000 + RANDOM % 12000))
  while listening "$port" || listening "$((port + 1))"; do port=$((20000 + RANDOM % 12000)); done
  rm -rf "$work/etcd"
  etcd --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
    --listen-peer-urls "http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
    --initial-cluster "default=http://127.0.0.1:$((port + 1))" --log-level error --logger zap >"$work/etcd.log" 2>&1 &
  etcd_pid=$!
}
start_etcd
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  kill "$etcd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT # bash runs the EXIT trap on exit, not when a signal kills it
trap 'exit 143' TERM
# etcd says nowhere that it is ready but in answering; one that exited (its port was taken since we
# looked) is started again on another port, three times at most
for ((try = 1; ; try++)); do
  until etcdctl --endpoints "http://127.0.0.1:$port" endpoint health >/dev/null 2>&1; do
    kill -0 "$etcd_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -0 "$etcd_pid" 2>/dev/null && break
  ((try < 3)) || { echo "demo: etcd would not start: $(tail -3 "$work/etcd.log")" >&2; exit 1; }
  start_etcd
done
export CONCH_ENDPOINTS="http://127.0.0.1:$port" ETCDCTL_API=3
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
conch() { bin/conch "$@"; } # ./jbang conch.java, one JVM start instead of two (see bin/conch)
lease_of() { etcdctl --endpoints "$CONCH_ENDPOINTS" get --prefix "$1" --keys-only | awk -F/ 'NF {print $NF; exit}'; }

say "etcd on $CONCH_ENDPOINTS; building the scripts once"
bin/conch --version >/dev/null
conch elect report --who || echo "(--who on a vacant office: exit $?)"

say "two hosts want the office 'report'; one runs, the other waits"
job='echo "  [$(date +%T.%3N)] pid $$ runs with fencing token CONCH_REV=$CONCH_REV"; sleep 3; echo "  [$(date +%T.%3N)] pid $$ done"'
conch elect report -- bash -c "$job" &
pids+=($!)
until conch elect report --who >/dev/null 2>&1; do sleep 0.2; done
conch elect report -- bash -c "$job" &
pids+=($!)
queued() { [ "$(etcdctl --endpoints "$CONCH_ENDPOINTS" get --prefix /conch/v1/elect/report/ --keys-only | grep -c .)" = 2 ]; }
until queued || ! kill -0 "${pids[0]}" 2>/dev/null; do sleep 0.1; done # the second waits (or the first is done)
echo "  --who says: $(conch elect report --who)"
wait "${pids[@]}"
pids=()

say "etcdctl lock: revoke its lease and its command keeps running beside the next holder"
etcdctl --endpoints "$CONCH_ENDPOINTS" lock demo-lock sleep 30 &
pids+=($!)
until [ -n "$(lease_of demo-lock/)" ]; do sleep 0.1; done
etcdctl --endpoints "$CONCH_ENDPOINTS" lease revoke "$(lease_of demo-lock/)" >/dev/null
etcdctl --endpoints "$CONCH_ENDPOINTS" lock demo-lock echo "  second holder got the lock"
if first=$(pgrep -P "${pids[0]}" sleep); then echo "  ...while the first holder's 'sleep 30' (pid $first) still runs: two copies at once"; fi
kill -KILL "${pids[0]}" $first 2>/dev/null || true # etcdctl lock ignores SIGTERM while its command runs
wait "${pids[0]}" 2>/dev/null || true
pids=()

say "conch elect: revoke its lease and the command is terminated, exit 70"
conch elect guarded --kill-after 1s -- bash -c 'trap "echo \"  [\$(date +%T.%3N)] command got SIGTERM\"; exit 143" TERM; sleep 30 & wait' &
guarded=$!
until [ -n "$(lease_of /conch/v1/elect/guarded/)" ]; do sleep 0.1; done
sleep 0.5
echo "  [$(date +%T.%3N)] etcdctl lease revoke"
etcdctl --endpoints "$CONCH_ENDPOINTS" lease revoke "$(lease_of /conch/v1/elect/guarded/)" >/dev/null
set +e
wait "$guarded"
echo "  conch exited $?"
set -e
say "done"
