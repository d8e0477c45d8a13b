#!/usr/bin/env bash
# Holds the benchmark's figures (bench/run.sh writes bench/target/results.tsv) against
# bench/thresholds.tsv: one line per breach on stderr, exit 1 if any; exit 2 if a figure is missing or
# the results file is. For CI or a scheduled run after bench/run.sh; the test suite itself never
# depends on timing.
#   bench/check.sh [RESULTS.tsv [THRESHOLDS.tsv]]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
results=${1:-$here/target/results.tsv}
thresholds=${2:-$here/thresholds.tsv}
[[ -r $results ]] || { echo "bench/check.sh: no results at $results (run bench/run.sh first)" >&2; exit 2; }
awk -F'\t' -v results="$results" '
  FNR == NR { if (FNR > 1) { value[$1] = $2; shown[$1] = $4 } ; next }
  /^#/ || NF < 2 { next }
  {
    checked++
    if (!($1 in value)) { printf "MISSING %s: no such figure in %s\n", $1, results > "/dev/stderr"; missing++; next }
    if (value[$1] + 0 > $2 + 0) { printf "BREACH %s = %s (%s), limit %s: %s\n", $1, value[$1], shown[$1], $2, $3 > "/dev/stderr"; bad++ }
    else printf "ok %s = %s, limit %s\n", $1, value[$1], $2
  }
  END {
    if (missing) exit 2
    if (bad) exit 1
    printf "bench/check.sh: %d figures within their limits\n", checked
  }' "$results" "$thresholds"
