#!/usr/bin/env bash
# Runs the invariant tests (tests/…/invariant/InvariantIT) with many random seeds and longer fault periods:
# the suite "eventually tests itself". CI runs one fixed seed; run this nightly or by hand.
#   scripts/invariants-nightly.sh [RUNS] [FAULT_MS]     (defaults: 20 runs, 60000 ms of faults each)
# Each run prints its seed; a failure names the seed, whose fault schedule (not its timings) replays with
#   mvn -B -ntp -pl tests test-compile surefire:test@default-test -Dtest=InvariantIT -Dconch.seed=SEED -Dconch.chaos.ms=FAULT_MS -Dsurefire.failIfNoSpecifiedTests=false
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
fault_ms=${2:-60000}
mvn -B -ntp -q install -DskipTests
failed=()
for ((i = 1; i <= runs; i++)); do
  seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  echo "== run $i/$runs: seed $seed"
  if ! mvn -B -ntp -q -pl tests surefire:test@default-test -Dtest=InvariantIT -Dconch.seed="$seed" -Dconch.chaos.ms="$fault_ms" \
    -Dsurefire.failIfNoSpecifiedTests=false; then
    failed+=("$seed")
  fi
done
if ((${#failed[@]})); then
  echo "failing seeds: ${failed[*]}" >&2
  exit 1
fi
echo "all $runs seeds passed"
