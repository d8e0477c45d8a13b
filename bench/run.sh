#!/usr/bin/env bash
# The benchmark (docs/performance.md): conch beside `etcdctl lock` on an etcd of its own (loopback, a
# free port), both tools interleaved in one run. Installs what it needs like ./test.sh, builds and
# installs the lib (the scripts //DEPS it), then runs dev.conch.bench.ConchBench (the Maven module
# bench/, which the build compiles and never runs), which prints the table and writes
# bench/target/results.tsv (and results.md). Then bench/check.sh holds the figures against
# bench/thresholds.tsv; its exit status is this script's. Extra arguments go to Maven, e.g.
# -Dbench.rounds=3. Takes about five minutes on 2 cores. (bench/check.sh --targets: issue 6's targets too.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
mvn -B -ntp -q install -pl lib -am -DskipTests # -am: the parent pom too, which JBang needs to resolve the lib
rm -f bench/target/results.tsv
# tests too: the bench uses its support classes (dev.conch.it.support), resolved within this one reactor
mvn -B -ntp -pl tests,bench test-compile surefire:test -Dtest=ConchBench -Dsurefire.failIfNoSpecifiedTests=false "$@"
exec bench/check.sh bench/target/results.tsv
