#!/usr/bin/env bash
# The whole test suite: installs what it needs (scripts/setup-debian.sh), builds and installs the
# lib into ~/.m2 (the scripts //DEPS it by its coordinates), then runs unit tests (lib) and
# integration tests against real etcd and real wrapper processes (tests).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-debian.sh
exec mvn -B -ntp install "$@"
