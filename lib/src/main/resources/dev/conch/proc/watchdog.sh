# conch's dead man's switch. Run by the wrapper as: setsid bash -c "$this" conch FIFO KA KA_TENTHS CMD...
# It parks on the control FIFO until the wrapper says "g FIRST" (go: CMD's deadline is FIRST seconds
# away), so a waiting wrapper starts it ahead of its turn and the handover costs one line, not two
# process starts. EOF before "g" (the wrapper withdrew, lost its place or died) ends it: CMD never ran.
# It is the session leader; CMD runs as a job in a process group of its own, so that signalling the
# group reaches CMD and every grandchild and nothing else. A reader of the control FIFO signals the
# group when the wrapper says so, when the deadline passes unrenewed (the wrapper is frozen or cut off),
# or when the FIFO reaches EOF (the wrapper died). The wrapper JVM cannot do this itself: a frozen or
# killed JVM cannot send signals. Only bash builtins, setsid and sleep: nothing a minimal Debian lacks.
fifo=$1 ka=$2 ka_tenths=$3
shift 3
trap '' INT HUP TERM # only the wrapper, through the FIFO, or the deadline stops us, parked or not
# A read-only open blocks until there is a writer, forever if the wrapper closed its end (it died,
# or gave up a parked watchdog) before we got here. Opened read-write first, the FIFO has a writer
# (us); once that is closed the wrapper is the only one, or there is none and the read sees EOF.
exec 4<>"$fifo" 3<"$fifo" 4>&-
rm -f "$fifo" && rmdir "${fifo%/*}" 2>/dev/null
read -r go t <&3 && [[ $go == g ]] || exit 0

# bash's own job reports ("[1]+  Exit 3 ...") would reach the user's stderr if CMD ended before we
# silenced them (seen on a loaded host): bash itself writes to /dev/null from here, CMD to fd 4
exec 4>&2 2>/dev/null
set -m # job control: the background job gets its own process group
(trap - INT HUP TERM && exec "$@") 3<&- 2>&4 4>&- & # CMD gets the signals we ignore back
child=$!
set +m
exec 4>&-

alive() { # does the group still have a live (not zombie) member? Orphans' zombies may never be reaped.
  kill -0 -- "-$child" 2>/dev/null || return 1 # an empty group, the usual case: no scan of /proc (tens of ms)
  local f s
  for f in /proc/[0-9]*/stat; do
    { read -r s <"$f"; } 2>/dev/null || continue
    s=${s##*) }
    set -- $s
    [[ $3 == "$child" && $1 != Z ]] && return 0
  done
  return 1
}

doom() { # signal the group; KILL it after kill-after
  kill -s "$1" -- "-$child" 2>/dev/null
  sleep "$ka" &
  nap=$!
  wait "$nap"
  kill -s KILL -- "-$child" 2>/dev/null
}

(
  trap 'kill -s KILL "$nap" 2>/dev/null; exit 0' USR1 # the nap ignores TERM, as we do
  while read -r -t "$t" op arg <&3; do
    case $op in
      d) t=$arg ;;                          # renewed: the deadline is now $arg seconds away
      s) doom "$arg"; exit 0 ;;             # the wrapper forwards a signal or reports the lease lost
    esac
  done
  # read timed out (deadline passed) or hit EOF (the wrapper is gone)
  doom TERM
) </dev/null >/dev/null & # nor does it hold the command's stdout (a pipe conchd reads to EOF)
reader=$!
exec 3<&- # CMD and the reader have their own descriptors

wait "$child"
rc=$?
# What is left of the group would run without a lease: TERM it, KILL it after kill-after.
if alive; then
  kill -s TERM -- "-$child" 2>/dev/null
  while ((ka_tenths-- > 0)) && alive; do sleep 0.1; done
  kill -s KILL -- "-$child" 2>/dev/null
fi
kill -s USR1 "$reader" 2>/dev/null # stops its kill-after nap, if any; not waited for, so bash reports nothing
exit "$rc"
