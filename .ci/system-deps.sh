#!/usr/bin/env bash
# Installs the system programs the tests drive (redis-server; chromium for browser tests;
# iproute2 for the network-namespace tests, as root)
# through apt-get when they are missing and we are root; otherwise says what to install.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# ip (network namespaces) for the lossy-network audio tests, which only run as root.
if [ "$(id -u)" -eq 0 ]; then command -v ip >/dev/null 2>&1 || missing+=(iproute2); fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "The tests need: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]})." >&2
  exit 1
fi
