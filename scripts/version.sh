#!/usr/bin/env bash
# Prints conch's version: the root pom's <version>, the one place it is written. Everything else
# (the lib's coordinates, the scripts' //DEPS, `conch --version`, the release's file names) follows
# from it; scripts/set-version.sh V changes it and what must name it literally.
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# the project's own <version> is the only one indented by two spaces (a direct child of <project>)
v=$(sed -n 's|^  <version>\([^<]*\)</version>$|\1|p' "$root/pom.xml")
[[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  echo "version.sh: no single X.Y.Z <version> in $root/pom.xml (found: ${v:-nothing})" >&2
  exit 65
}
printf '%s\n' "$v"
