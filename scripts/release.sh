#!/usr/bin/env bash
# scripts/release.sh OUT BASE_URL: builds the current version (scripts/version.sh) and writes into OUT
# the static tree of contract section 11, for any web server to serve at BASE_URL:
#
#   maven/                   a Maven repository as `mvn deploy` writes it: dev.conch:conch-lib and its
#                            parent pom (point -DaltDeploymentRepository at a repository manager instead)
#   conch.java elect.java    the scripts, their //DEPS pinned to the version
#   sema.java cron.java
#   jbang-catalog.json       the checkout's aliases, each with repositories = Maven Central + BASE_URL/maven
#   conch-VERSION.tar.gz     portable: bin/conch (the fast launcher), lib/ (the lib, its libraries, the scripts compiled),
#                            systemd/ (contrib/systemd's units); needs only Java 17+
#   conch_VERSION_all.deb    the same for Debian (scripts/release/deb.sh), checked with lintian
#   SHA256SUMS
#
# Runs on a fresh clone: Maven fetches everything from Maven Central. Exit 64 on bad arguments.
set -euo pipefail
usage() {
  echo "usage: scripts/release.sh OUT BASE_URL (OUT: a new or empty directory; BASE_URL: http(s)://… where OUT will be served)" >&2
  exit 64
}
die() {
  local code=$1
  shift
  echo "release.sh: $*" >&2
  exit "$code"
}
(($# == 2)) || usage
out=$1
base=${2%/}
[[ $base =~ ^https?://[^[:space:]]+$ ]] || usage
if [[ -e $out && (! -d $out || -n $(ls -A -- "$out")) ]]; then
  die 64 "$out exists and is not an empty directory; give a new one"
fi
mkdir -p -- "$out"
out=$(cd -- "$out" && pwd -P) # OUT is relative to the caller's directory, not the checkout
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd -- "$root"
for tool in mvn javac jar jq dpkg-deb lintian; do
  command -v "$tool" >/dev/null 2>&1 || die 69 "$tool is missing (scripts/setup-debian.sh installs it)"
done
version=$(scripts/version.sh)
scripts=(conch.java elect.java sema.java cron.java)
for s in "${scripts[@]}"; do
  grep -qx "//DEPS dev.conch:conch-lib:$version" "$s" ||
    die 65 "$s does not //DEPS dev.conch:conch-lib:$version; run scripts/set-version.sh $version"
done
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
say() { echo "release.sh: $*" >&2; }

# maven/ and the lib's runtime libraries, in one Maven run. No install: the release must not depend on
# (or change) this machine's ~/.m2 beyond Maven's own cache. No tests: ./test.sh runs them.
say "building dev.conch:conch-lib:$version, deploying it to $out/maven"
install=$work/conch-$version
if ! mvn -B -ntp -q -Dstyle.color=never -pl lib -am deploy dependency:copy-dependencies \
  -Dmaven.test.skip=true -Dmaven.install.skip=true -DincludeScope=runtime \
  -DoutputDirectory="$install/lib" -DaltDeploymentRepository="conch-release::file://$out/maven" \
  >"$work/mvn.log" 2>&1 </dev/null; then
  cat -- "$work/mvn.log" >&2
  die 70 "the Maven build failed (above)"
fi
cp -- "lib/target/conch-lib-$version.jar" "$install/lib/"
# Upstream's empty placeholder jars (only a manifest: grpc-context since grpc moved its classes to
# grpc-api, jetcd-api, Guava's listenablefuture 9999.0-empty-…) add nothing to a classpath: left out.
for j in $(find "$install/lib" -name '*.jar' -size -4k); do
  jar tf "$j" | grep -q '\.class$' || rm -- "$j"
done

# The four scripts compiled against that classpath, as JBang would, into one jar beside the lib: the
# portable install runs them with plain java (the checks of ScriptLintIT apply; -path: a library's
# manifest names a jar that is not a runtime dependency).
javac --release 17 -encoding UTF-8 -Xlint:all,-path -Werror -cp "$install/lib/*" -d "$work/classes" "${scripts[@]}" ||
  die 70 "javac could not compile the scripts"
jar --create --file "$install/lib/conch-$version.jar" -C "$work/classes" .
mkdir -p -- "$install/bin" "$install/systemd"
# bin/conch, the fast launcher: on a release it runs the jars of ../lib, with an archive in the user's
# cache (Debian's policy wants a fixed interpreter path, not env)
sed '1s|^#!/usr/bin/env bash$|#!/bin/bash|' bin/conch >"$install/bin/conch"
chmod 755 "$install/bin/conch"
export CONCH_CACHE=$work/cache # the checks below run it: their cache goes with the work tree
cp -- contrib/systemd/conchd.service contrib/systemd/thing.service contrib/systemd/conch.env "$install/systemd/"
chmod 644 "$install"/lib/*.jar "$install"/systemd/*
got=$("$install/bin/conch" --version) || die 70 "the portable conch does not start"
[[ $got == "conch $version (lib dev.conch:conch-lib $version, "* ]] || die 70 "the portable conch says: $got"

# Reproducible archives: files stamped with the release commit's time, owned by root, sorted.
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$work" -cf - "conch-$version" |
  gzip -9n >"$out/conch-$version.tar.gz"
say "wrote conch-$version.tar.gz"
scripts/release/deb.sh "$install" "$version" "$epoch" "$out/conch_${version}_all.deb"

cp -- "${scripts[@]}" "$out/"
jq --arg maven "$base/maven" '.aliases |= map_values(. + {repositories: ["central", ("conch=" + $maven)]})' \
  jbang-catalog.json >"$out/jbang-catalog.json"
(cd -- "$out" && sha256sum "conch-$version.tar.gz" "conch_${version}_all.deb" >SHA256SUMS)
say "release $version in $out, to be served at $base:"
say "  jbang trust add $base/ && jbang conch@$base/jbang-catalog.json --help"
