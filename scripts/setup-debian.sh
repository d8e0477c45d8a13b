#!/usr/bin/env bash
# Installs what conch's demo and tests need on a fresh Debian machine: a JDK, Maven (which brings
# JBang and every library from Maven Central), etcd and etcdctl from Debian's packages,
# systemd-analyze (package systemd; the tests verify contrib/systemd's units with it), openssl for
# the tests' certificates and faketime (libfaketime) for daemons on skewed clocks. Idempotent.
set -euo pipefail
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
command -v kill >/dev/null 2>&1 || missing+=(procps)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl) # the tests' throw-away CA (tls-auth topology, TlsIT)
command -v faketime >/dev/null 2>&1 || missing+=(faketime) # ClockSkewIT: daemons on skewed clocks
command -v jq >/dev/null 2>&1 || missing+=(jq)                # scripts/release.sh: the release's catalog
command -v lintian >/dev/null 2>&1 || missing+=(lintian)     # scripts/release.sh holds the .deb to it
if ((${#missing[@]})); then
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  echo "setup: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
