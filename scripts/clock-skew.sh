#!/usr/bin/env bash
# Runs ClockSkewIT with its second daemon's clock ahead by each SKEW seconds in turn, to find where the
# claim horizon (the largest --max-lateness, 10s here, plus 2 minutes of skew) stops keeping a tick from
# running twice under --keep 1. Each run takes about SKEW + 20 s; the suite runs 30 s only.
#   scripts/clock-skew.sh [SKEW…]            (default: 60 120 129 131 150)
# MVN_FLAGS adds flags to every mvn (e.g. -Dmaven.repo.local=…). Prints each run's figures and verdict;
# past the horizon the test is expected to fail, with the daemon behind running again ticks already run.
set -euo pipefail
cd "$(dirname "$0")/.."
read -ra extra <<<"${MVN_FLAGS-}"
if (($#)); then skews=("$@"); else skews=(60 120 129 131 150); fi
mvn -B -ntp -q "${extra[@]}" install -DskipTests
for skew in "${skews[@]}"; do
  start=$SECONDS
  out=$(mktemp)
  if mvn -B -ntp -q "${extra[@]}" -pl tests surefire:test@default-test -Dtest=ClockSkewIT -Dconch.skew="$skew" \
    -Dsurefire.failIfNoSpecifiedTests=false >"$out" 2>&1; then
    verdict=held
  else
    verdict=FAILED
  fi
  figures=$(grep -m1 'clock skew' "$out" || echo "no figures: see $out")
  first=$(grep -m1 -o 'AssertionFailedError: [^(]*' "$out" || true)
  echo "skew ${skew}s: $verdict in $((SECONDS - start)) s: $figures ${first}"
  [ "$verdict" = FAILED ] || rm -f "$out"
done
