#!/usr/bin/env bash
# Long runs without leaks (tests/…/LongRunIT): an `elect --restart` service restarting its command
# RESTARTS times and a conchd running TICKS ticks of 25 jobs @every 1s, each JVM and etcd sampled after
# warm-up and at the end (threads, open fds, live heap after GC, metaspace, etcd keys, leases, watchers).
# The suite runs a short version; run this nightly or by hand, beside scripts/invariants-nightly.sh.
#   scripts/long-runs.sh [RESTARTS] [TICKS]     (defaults: 10000 each; about 11 minutes on 2 cores)
# The figures are printed at the start and the end of each run (tests/target/surefire-reports/*LongRunIT*).
set -euo pipefail
cd "$(dirname "$0")/.."
restarts=${1:-10000}
ticks=${2:-10000}
mvn -B -ntp -q install -DskipTests
mvn -B -ntp -q -pl tests surefire:test@default-test -Dtest=LongRunIT -Dconch.long.restarts="$restarts" \
  -Dconch.long.ticks="$ticks" -Dsurefire.failIfNoSpecifiedTests=false
sed -n '/CDATA\[/,/\]\]>/p' tests/target/surefire-reports/TEST-dev.conch.it.LongRunIT.xml
