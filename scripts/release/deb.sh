#!/usr/bin/env bash
# scripts/release/deb.sh INSTALL VERSION EPOCH DEB: packages the portable install that release.sh
# staged in INSTALL (bin/conch, lib/, systemd/) as conch_VERSION_all.deb, files stamped EPOCH, then
# holds it to lintian: any error or warning fails the release.
#
#   /usr/share/conch/{bin/conch,lib/}   the install, as in the tarball; the launcher finds lib/ beside it
#   /usr/bin/conch -> ../share/conch/bin/conch
#   /usr/share/doc/conch/examples/      the systemd units and conch.env, calling /usr/bin/conch
#   /usr/share/man/man1/conch.1.gz      `conch --help`, as a man page
#
# The units are examples, not installed units: conchd.service runs as a user `conch` and thing.service
# is a template, so neither can start before the admin edits it (README, "systemd").
set -euo pipefail
(($# == 4)) || {
  echo "usage: scripts/release/deb.sh INSTALL VERSION EPOCH DEB" >&2
  exit 64
}
install=$1 version=$2 epoch=$3 deb=$4
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
maintainer=${CONCH_DEB_MAINTAINER:-conch maintainers <conch@example.org>}
pkg=$(mktemp -d)
trap 'rm -rf -- "$pkg"' EXIT
umask 022

mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/conch" "$pkg/usr/share/man/man1" \
  "$pkg/usr/share/doc/conch/examples"
cp -r -- "$install/bin" "$install/lib" "$pkg/usr/share/conch/"
ln -s ../share/conch/bin/conch "$pkg/usr/bin/conch"
for f in "$install"/systemd/*; do
  sed 's|/usr/local/bin/conch|/usr/bin/conch|g' "$f" >"$pkg/usr/share/doc/conch/examples/${f##*/}"
done

# The man page is the help of this very build: it cannot drift from the code.
{
  printf '.TH CONCH 1 "%s" "conch %s" "User Commands"\n' "$(date -u -d "@$epoch" +%Y-%m-%d)" "$version"
  printf '.SH NAME\nconch \\- run a command only while it holds a lease in etcd\n'
  printf '.SH DESCRIPTION\n.nf\n'
  "$install/bin/conch" --help | sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\&&/"
  printf '.fi\n.SH SEE ALSO\nEach command: \\fBconch\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR;\n'
  printf 'the systemd examples in /usr/share/doc/conch/examples.\n'
} | gzip -9n >"$pkg/usr/share/man/man1/conch.1.gz"

date=$(date -u -R -d "@$epoch")
printf 'conch (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
  "$version" "$version" "$maintainer" "$date" | gzip -9n >"$pkg/usr/share/doc/conch/changelog.gz"
{
  printf 'conch %s\n\nconch: Copyright %s the conch authors.\n\n' "$version" "$(date -u -d "@$epoch" +%Y)"
  printf 'Bundled in /usr/share/conch/lib, each under the license named in its own jar (META-INF):\n'
  (cd -- "$install/lib" && ls -1 -- *.jar | sed 's/^/  /')
  printf '\nOn Debian systems the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.\n'
} >"$pkg/usr/share/doc/conch/copyright"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@SIZE@|$size|" -e "s|@MAINTAINER@|$maintainer|" \
  "$here/control" >"$pkg/DEBIAN/control"
(cd -- "$pkg" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
find "$pkg" -exec touch -h -d "@$epoch" {} +
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
# -- no root: lintian works on the file; --fail-on: warnings count as failures too
if ! lintian --fail-on error,warning "$deb" >&2; then
  echo "release.sh: lintian rejects $deb (above)" >&2
  exit 70
fi
echo "release.sh: wrote ${deb##*/}, lintian clean" >&2
