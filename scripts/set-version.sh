#!/usr/bin/env bash
# scripts/set-version.sh X.Y.Z: makes X.Y.Z conch's version. It rewrites the root pom's <version>
# (the one place the version lives), the <parent> version of lib/, tests/ and bench/ (Maven needs it
# literally there), the //DEPS line of the four JBang scripts (JBang reads no variables) and the
# README's --version example.
# VersionIT fails when any of them disagree. Then commit; scripts/release.sh builds that version.
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
if (($# != 1)) || ! [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: scripts/set-version.sh X.Y.Z (a plain release version, e.g. 0.3.0)" >&2
  exit 64
fi
v=$1
sed -i "s|^  <version>[^<]*</version>$|  <version>$v</version>|" "$root/pom.xml"
for pom in "$root/lib/pom.xml" "$root/tests/pom.xml" "$root/bench/pom.xml"; do
  sed -i "/<parent>/,/<\/parent>/ s|<version>[^<]*</version>|<version>$v</version>|" "$pom"
done
for s in conch elect sema cron; do
  sed -i "s|^//DEPS dev\.conch:conch-lib:.*$|//DEPS dev.conch:conch-lib:$v|" "$root/$s.java"
done
# the README's example of `conch --version`
sed -i "s|^\`conch [0-9.]* (lib dev\.conch:conch-lib [0-9.]*, |\`conch $v (lib dev.conch:conch-lib $v, |" "$root/README.md"
[[ $("$root/scripts/version.sh") == "$v" ]] || {
  echo "set-version.sh: pom.xml does not say $v after the rewrite" >&2
  exit 70
}
echo "conch is now version $v (pom.xml, lib/, tests/ and bench/ parents, the scripts' //DEPS, README)" >&2
