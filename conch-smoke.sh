#!/usr/bin/env bash
# conch-smoke.sh ENDPOINTS: the post-deploy smoke (seed 004, section 4; contract, section 10).
#
# Runs conch against the real cluster under a key prefix of its own, one step at a time, and stops
# at the first broken expectation with exit 1 and one line on stderr naming the step. Prints one
# "ok: ..." line per step and "smoke passed" at the end. Takes seconds, not minutes.
#
#   ./conch-smoke.sh http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379
#
# Environment:
#   CONCH          how to run conch, word-split (default: conch), e.g. "./jbang conch.java" or
#                  "java -cp CP conch"
#   CONCH_PREFIX   the smoke's key prefix (default: /conch-smoke-<pid>-<random>). It must be empty
#                  when the smoke starts, because the smoke deletes everything under it when it ends.
#   SMOKE_FLEET    yes: check the deployed fleet instead. CONCH_PREFIX is the deployment's (default
#                  /conch), at least one conchd must be live under it and runs the smoke's cron job
#                  (`logger -t conch-smoke` where the host has logger); the smoke touches and deletes
#                  only the keys of its own name, which must have none when it starts.
#   SMOKE_NAME     the office, semaphore and job name (default: smoke-<pid>, or
#                  smoke-<pid>-<random> with SMOKE_FLEET=yes)
#   SMOKE_PERIOD   the cron job's @every period (default: 2s)
#   SMOKE_TIMEOUT  bound in seconds of each step's wait (default: 30)
#   ETCDCTL        etcdctl to clean up with (default: etcdctl); CONCH_CACERT, CONCH_CERT, CONCH_KEY,
#                  CONCH_USER and CONCH_PASSWORD are handed to it as conch takes them.
#
# By default the smoke starts its own conchd under its prefix (the deployed daemons watch the real
# prefix), so the cron step needs bash and a writable TMPDIR on this host, nothing on the others.
set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
  echo "usage: conch-smoke.sh ENDPOINTS   (etcd client URLs, comma-separated)" >&2
  exit 64
fi
export CONCH_ENDPOINTS=$1
read -r -a CONCH_CMD <<<"${CONCH:-conch}"
FLEET=${SMOKE_FLEET:-no}
PERIOD=${SMOKE_PERIOD:-2s}
STEP_TIMEOUT=${SMOKE_TIMEOUT:-30}
if [[ $FLEET == yes ]]; then
  NAME=${SMOKE_NAME:-smoke-$$-$(printf '%04x' $RANDOM)}
  export CONCH_PREFIX=${CONCH_PREFIX:-/conch}
else
  NAME=${SMOKE_NAME:-smoke-$$}
  export CONCH_PREFIX=${CONCH_PREFIX:-/conch-smoke-$$-$(printf '%04x%04x' $RANDOM $RANDOM)}
fi
# the keys of the smoke's name (what it deletes under the deployment's prefix with SMOKE_FLEET=yes)
OWN_DIRS=("$CONCH_PREFIX/v1/elect/$NAME/" "$CONCH_PREFIX/v1/sema/$NAME/" "$CONCH_PREFIX/v1/cron/runs/$NAME/")
OWN_JOB=$CONCH_PREFIX/v1/cron/jobs/$NAME

STEP=setup
OWN_PREFIX=no # yes once the prefix (fleet: the smoke's own keys) was found empty: only then may it delete
PIDS=()       # background conch processes not yet reaped
TMP=
RC=0
OUT=
ERR=

fail() {
  local msg="$*"
  printf 'conch-smoke: FAILED at %s: %s\n' "$STEP" "${msg//$'\n'/ | }" >&2
  exit 1
}

ok() {
  printf 'ok: %s\n' "$*"
}

# ectl ARGS...: etcdctl on the smoke's endpoints, with conch's TLS and auth settings.
ectl() {
  local env=(ETCDCTL_API=3)
  [[ -n ${CONCH_CACERT:-} ]] && env+=("ETCDCTL_CACERT=$CONCH_CACERT")
  [[ -n ${CONCH_CERT:-} ]] && env+=("ETCDCTL_CERT=$CONCH_CERT")
  [[ -n ${CONCH_KEY:-} ]] && env+=("ETCDCTL_KEY=$CONCH_KEY")
  [[ -n ${CONCH_USER:-} ]] && env+=("ETCDCTL_USER=$CONCH_USER:${CONCH_PASSWORD:-}")
  env "${env[@]}" "${ETCDCTL:-etcdctl}" --endpoints "$CONCH_ENDPOINTS" "$@"
}

# c ARGS...: runs conch ARGS in the foreground, bounded; sets RC, OUT (stdout), ERR (first stderr line).
c() {
  RC=0
  timeout -k 5 "$STEP_TIMEOUT" "${CONCH_CMD[@]}" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || RC=$?
  OUT=$(<"$TMP/out")
  ERR=$(head -n 1 "$TMP/err")
  if ((RC == 124 || RC == 137)); then
    fail "conch $* did not finish within ${STEP_TIMEOUT}s"
  fi
}

# expect RC WHAT: the last c ended with exit RC.
expect() {
  ((RC == $1)) || fail "$2: expected exit $1, got $RC${ERR:+ ($ERR)}"
}

# start NAME ARGS...: conch ARGS in the background (stdout/stderr in $TMP/NAME.out/.err); sets BG_PID.
start() {
  local name=$1
  shift
  "${CONCH_CMD[@]}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

forget() {
  local keep=() p
  for p in ${PIDS[@]+"${PIDS[@]}"}; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=(${keep[@]+"${keep[@]}"})
}

# reap PID SECONDS: waits for a background conch to end; sets RC; returns 1 if it is still running.
reap() {
  local end=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    ((SECONDS < end)) || return 1
    sleep 0.1 # a child of ours: bash reaps it on SIGCHLD, kill -0 then fails
  done
  RC=0
  wait "$1" || RC=$?
  forget "$1"
}

# alive PID NAME: fails the step if a background conch ended early.
alive() {
  kill -0 "$1" 2>/dev/null || fail "conch $2 exited early: $(head -n 1 "$TMP/$2.err")"
}

# poll SECONDS WHAT CMD...: runs CMD until it succeeds, every 100 ms, for at most SECONDS.
poll() {
  local secs=$1 what=$2
  local end=$((SECONDS + secs))
  shift 2
  until "$@"; do
    ((SECONDS < end)) || fail "$what: not within ${secs}s"
    sleep 0.1
  done
}

lines() {
  if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi
}

# runs: "TICK STATE" per run record in the last `cron ls --json` output.
runs() {
  { grep -o '"tick":"[^"]*","state":"[^"]*"' <<<"$OUT" || true; } | sed 's/"tick":"\([^"]*\)","state":"\([^"]*\)"/\1 \2/'
}

# delete_own: the smoke's keys: its whole prefix, or (fleet) only the keys of its own name.
delete_own() {
  if [[ $FLEET == yes ]]; then
    local d
    for d in "${OWN_DIRS[@]}"; do ectl del --prefix "$d" >/dev/null 2>"$TMP/err" || return 1; done
    ectl del "$OWN_JOB" >/dev/null 2>"$TMP/err"
  else
    ectl del --prefix "$CONCH_PREFIX/" >/dev/null 2>"$TMP/err"
  fi
}

# own_keys: the first key of the smoke's (empty when none is left).
own_keys() {
  local d found
  if [[ $FLEET == yes ]]; then
    found=$(ectl get "$OWN_JOB" --keys-only 2>"$TMP/err") || return 1
    for d in "${OWN_DIRS[@]}"; do
      [[ -z $found ]] || break
      found=$(ectl get --prefix "$d" --keys-only --limit 1 2>"$TMP/err") || return 1
    done
  else
    found=$(ectl get --prefix "$CONCH_PREFIX/" --keys-only --limit 1 2>"$TMP/err") || return 1
  fi
  printf '%s' "$found"
}

cleanup() {
  local rc=$? p
  set +e
  trap - EXIT INT TERM HUP
  exec 3>&2 2>/dev/null # bash would report a conch it had to SIGKILL here; the failure line is out already
  [[ -n $TMP ]] && touch "$TMP/release"
  for p in ${PIDS[@]+"${PIDS[@]}"}; do kill -TERM "$p" 2>/dev/null; done
  for p in ${PIDS[@]+"${PIDS[@]}"}; do reap "$p" 20 || kill -KILL "$p" 2>/dev/null; done
  if [[ $OWN_PREFIX == yes ]] && ! delete_own; then
    echo "conch-smoke: could not delete the smoke's keys under $CONCH_PREFIX/" >&3
    ((rc != 0)) || rc=1
  fi
  [[ -n $TMP ]] && rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the prefix: the smoke's own, and empty --------------------------------------------------------
STEP="prefix check"
[[ $CONCH_PREFIX =~ ^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$ ]] || fail "CONCH_PREFIX '$CONCH_PREFIX' must start with / and not end with /"
[[ $STEP_TIMEOUT =~ ^[1-9][0-9]*$ ]] || fail "SMOKE_TIMEOUT '$STEP_TIMEOUT' is not a whole number of seconds"
((${#CONCH_CMD[@]} > 0)) || fail "CONCH is empty: set it to how conch is run"
command -v "${CONCH_CMD[0]}" >/dev/null || fail "'${CONCH_CMD[0]}' not found: set CONCH to how conch is run"
command -v "${ETCDCTL:-etcdctl}" >/dev/null || fail "etcdctl not found: install etcd-client or set ETCDCTL"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/conch-smoke.XXXXXX")
export SMOKE_DIR=$TMP
existing=$(own_keys) || fail "etcdctl cannot read $CONCH_ENDPOINTS: $(head -n 1 "$TMP/err")"
if [[ $FLEET == yes ]]; then
  [[ -z $existing ]] || fail "$existing already exists; the smoke deletes the keys of its name when it ends: set SMOKE_NAME to an unused name"
  OWN_PREFIX=yes
  c cron ls --json
  expect 0 "cron ls --json under $CONCH_PREFIX"
  [[ $OUT == *'"daemons":[{'* ]] || fail "no live conchd under $CONCH_PREFIX: start conchd on the fleet, or check CONCH_PREFIX"
  ok "fleet under $CONCH_PREFIX on $CONCH_ENDPOINTS has live conchd; name $NAME is unused"
else
  [[ -z $existing ]] || fail "CONCH_PREFIX $CONCH_PREFIX already has keys (${existing%%$'\n'*}); the smoke deletes everything under its prefix, so it needs one of its own: unset CONCH_PREFIX"
  OWN_PREFIX=yes
  ok "prefix $CONCH_PREFIX on $CONCH_ENDPOINTS is empty; name $NAME"
fi

# --- elect -----------------------------------------------------------------------------------------
STEP="elect --who (vacant)"
c elect "$NAME" --who
expect 1 "elect $NAME --who on a vacant office"
[[ -z $OUT ]] || fail "elect $NAME --who printed a leader for a vacant office: $OUT"
ok "elect $NAME --who: vacant, exit 1"

STEP="elect -- true"
c elect "$NAME" -- true
expect 0 "elect $NAME -- true"
c elect "$NAME" --who
expect 1 "elect $NAME --who after the command ended (released)"
ok "elect $NAME -- true: acquired, ran, released (exit 0; --who exit 1 again)"

STEP="elect CONCH_REV"
# shellcheck disable=SC2016 # expanded by the command conch runs
c elect "$NAME" -- sh -c 'echo "$CONCH_REV"'
expect 0 "elect $NAME -- sh -c 'echo \$CONCH_REV'"
[[ $OUT =~ ^[1-9][0-9]*$ ]] || fail "the command's CONCH_REV is '$OUT', not a positive integer"
ok "elect $NAME: the command got CONCH_REV=$OUT"

# --- sema ------------------------------------------------------------------------------------------
STEP="sema --who (vacant)"
c sema "$NAME" --max 2 --who
expect 1 "sema $NAME --max 2 --who on a vacant semaphore"
ok "sema $NAME --max 2 --who: nobody holds, exit 1"

STEP="sema: two holders"
# shellcheck disable=SC2016 # expanded by the command conch runs
hold='echo "$CONCH_REV" > "$SMOKE_DIR/up.$$"; until [ -e "$SMOKE_DIR/release" ]; do sleep 0.1; done'
start holder1 sema "$NAME" --max 2 -- bash -c "$hold"
h1=$BG_PID
start holder2 sema "$NAME" --max 2 -- bash -c "$hold"
h2=$BG_PID
both_up() {
  alive "$h1" holder1
  alive "$h2" holder2
  local n
  n=$(find "$TMP" -maxdepth 1 -name 'up.*' | wc -l)
  ((n >= 2))
}
poll "$STEP_TIMEOUT" "both holders' commands running" both_up
revs=$(cat "$TMP"/up.* | sort -n)
[[ $(sort -u <<<"$revs" | grep -c '^[1-9][0-9]*$') == 2 ]] || fail "the holders' CONCH_REV are not two distinct positive integers: ${revs//$'\n'/ }"
c sema "$NAME" --who
expect 0 "sema $NAME --who with two holders"
slots=$(grep -c '^slot [12]/2: ' <<<"$OUT" || true)
((slots == 2)) || fail "sema $NAME --who shows $slots holders, not 2: $OUT"
grep -qx 'waiting: 0' <<<"$OUT" || fail "sema $NAME --who does not say 'waiting: 0': $OUT"
ok "sema $NAME --max 2: two holders (CONCH_REV ${revs//$'\n'/, }), --who shows both"

STEP="sema --nonblock (full)"
c sema "$NAME" --max 2 --nonblock -- touch "$TMP/third-ran"
expect 75 "a third sema $NAME --max 2 --nonblock while both slots are held"
[[ ! -e $TMP/third-ran ]] || fail "the third holder's command ran although both slots were held"
ok "sema $NAME --max 2 --nonblock: both slots held, exit 75, command not run"

STEP="sema release"
touch "$TMP/release"
reap "$h1" "$STEP_TIMEOUT" || fail "holder 1 still running ${STEP_TIMEOUT}s after its command was told to end"
((RC == 0)) || fail "holder 1 exited $RC, not 0: $(head -n 1 "$TMP/holder1.err")"
reap "$h2" "$STEP_TIMEOUT" || fail "holder 2 still running ${STEP_TIMEOUT}s after its command was told to end"
((RC == 0)) || fail "holder 2 exited $RC, not 0: $(head -n 1 "$TMP/holder2.err")"
c sema "$NAME" --who
expect 1 "sema $NAME --who after both holders ended (released)"
ok "sema $NAME: both holders ended with exit 0 and released (--who exit 1)"

# --- cron and conchd -------------------------------------------------------------------------------
# period_seconds: SMOKE_PERIOD in whole seconds (0 when it is not plain s, m or h).
period_seconds() {
  local s=0
  case $PERIOD in
    *[0-9]s) s=${PERIOD%s} ;;
    *[0-9]m) s=$((${PERIOD%m} * 60)) ;;
    *[0-9]h) s=$((${PERIOD%h} * 3600)) ;;
  esac
  [[ $s =~ ^[0-9]+$ ]] || s=0
  echo "$s"
}

if [[ $FLEET == yes ]]; then
  STEP="cron add"
  # shellcheck disable=SC2016 # expanded on the fleet host that runs the tick
  c cron add "$NAME" --schedule "@every $PERIOD" -- sh -c 'command -v logger >/dev/null && logger -t conch-smoke "$CONCH_JOB $CONCH_TICK" || true'
  expect 0 "cron add $NAME --schedule '@every $PERIOD'"
  ok "cron add $NAME --schedule '@every $PERIOD' (run by the fleet's conchd)"

  STEP="cron: first tick"
  period_s=$(period_seconds)
  first_ok() {
    c cron ls "$NAME" --json
    expect 0 "cron ls $NAME --json"
    runs | grep -q ' ok$'
  }
  poll $((STEP_TIMEOUT + period_s)) "cron ls $NAME --json showing a tick run by the fleet as ok" first_ok
  tick=$(runs | grep ' ok$' | head -n 1 | cut -d ' ' -f 1)
  records=$(runs | grep -c "^$tick " || true)
  ((records == 1)) || fail "cron ls shows $records results for tick $tick, not 1: $(runs)"
  ok "cron $NAME: tick $tick ran on the fleet, cron ls shows one result, state ok"
else
  STEP="cron add"
  ticks=$TMP/ticks
  c cron add "$NAME" --schedule "@every $PERIOD" -- bash -c "echo \"\$CONCH_TICK\" >> $(printf %q "$ticks")"
  expect 0 "cron add $NAME --schedule '@every $PERIOD'"
  ok "cron add $NAME --schedule '@every $PERIOD'"

  STEP="cron: first tick"
  start daemon daemon
  daemon=$BG_PID
  period_s=$(period_seconds)
  ticked() {
    alive "$daemon" daemon
    (($(lines "$ticks") >= 1))
  }
  poll $((STEP_TIMEOUT + period_s)) "a tick of $NAME run by the smoke's conchd" ticked
  tick=$(head -n 1 "$ticks")
  first_ok() {
    alive "$daemon" daemon
    c cron ls "$NAME" --json
    expect 0 "cron ls $NAME --json"
    runs | grep -qx "$tick ok"
  }
  poll "$STEP_TIMEOUT" "cron ls $NAME --json showing tick $tick as ok" first_ok
  records=$(runs | grep -c "^$tick " || true)
  ((records == 1)) || fail "cron ls shows $records results for tick $tick, not 1: $(runs)"
  ran=$(grep -cx "$tick" "$ticks" || true)
  ((ran == 1)) || fail "tick $tick ran $ran times, not once"
  ok "cron $NAME: tick $tick ran once, cron ls shows one result, state ok"

  STEP="conchd stop"
  kill -TERM "$daemon"
  reap "$daemon" $((STEP_TIMEOUT + 30)) || fail "conchd still running $((STEP_TIMEOUT + 30))s after SIGTERM"
  ((RC == 0)) || fail "conchd exited $RC after SIGTERM, not 0: $(head -n 1 "$TMP/daemon.err")"
  ok "conchd: SIGTERM, exit 0"

  STEP="cron ls (all ticks)"
  c cron ls "$NAME" --json
  expect 0 "cron ls $NAME --json"
  bad=$(runs | grep -v ' ok$' || true)
  [[ -z $bad ]] || fail "runs not ok after conchd stopped: ${bad//$'\n'/, }"
  recorded=$(runs | cut -d ' ' -f 1 | sort)
  logged=$(sort "$ticks")
  [[ $(sort -u <<<"$recorded") == "$recorded" ]] || fail "a tick has more than one result: ${recorded//$'\n'/ }"
  [[ $recorded == "$logged" ]] || fail "results (${recorded//$'\n'/ }) and runs of the command (${logged//$'\n'/ }) differ"
  [[ $OUT == *'"daemons":[]'* ]] || fail "cron ls still lists a live daemon after conchd exited: $OUT"
  ok "cron ls $NAME: $(lines "$ticks") tick(s), each ok once, each run once; no live daemon left"
fi

STEP="cron rm"
c cron rm "$NAME"
expect 0 "cron rm $NAME"
c cron ls "$NAME"
expect 1 "cron ls $NAME after cron rm"
ok "cron rm $NAME: the job is gone (cron ls exit 1)"

if [[ $FLEET == yes ]]; then
  STEP="cron: runs after rm"
  finished() {
    RUNS=$(ectl get --prefix "$CONCH_PREFIX/v1/cron/runs/$NAME/" --print-value-only 2>"$TMP/err") || fail "etcdctl get: $(head -n 1 "$TMP/err")"
    ! grep -q '"state":"running"' <<<"$RUNS"
  }
  poll "$STEP_TIMEOUT" "the runs of $NAME that were going when it was removed ending" finished
  bad=$({ grep -o '"tick":"[^"]*","state":"[^"]*"' <<<"$RUNS" || true; } | grep -v '"state":"ok"' || true)
  [[ -z $bad ]] || fail "runs of $NAME not ok: ${bad//$'\n'/, }"
  dup=$({ grep -o '"tick":"[^"]*"' <<<"$RUNS" || true; } | sort | uniq -d)
  [[ -z $dup ]] || fail "a tick of $NAME has more than one result: $dup"
  ok "cron $NAME: every run ok, no tick twice, none still going"
fi

# --- clean up --------------------------------------------------------------------------------------
STEP="clean-up"
delete_own || fail "etcdctl del under $CONCH_PREFIX/: $(head -n 1 "$TMP/err")"
left=$(own_keys) || fail "etcdctl get: $(head -n 1 "$TMP/err")"
[[ -z $left ]] || fail "keys left under $CONCH_PREFIX/: $left"
if [[ $FLEET == yes ]]; then ok "no keys of $NAME left under $CONCH_PREFIX/"; else ok "no keys left under $CONCH_PREFIX/"; fi
echo "smoke passed"
