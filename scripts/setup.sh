#!/usr/bin/env bash
# Install what is missing from Debian 12's repositories for a purpose:
#   scripts/setup.sh run     build and run the server
#   scripts/setup.sh test    build and run every test suite
#   scripts/setup.sh bench   run the benchmarks
# Needs root (or sudo) only when something is missing.
set -euo pipefail

build=(build-essential meson ninja-build pkg-config scdoc libsystemd-dev libevent-dev libhttp-parser-dev libjansson-dev
       libsqlite3-dev libpq-dev libsodium-dev libinih-dev libcmark-dev libcurl4-openssl-dev liboath-dev
       libqrencode-dev libfido2-dev libcbor-dev libssl-dev libldap-dev libpango1.0-dev libglib2.0-dev libarchive-dev
       fonts-dejavu-core tzdata ca-certificates)
test=(libcmocka-dev python3 python3-pytest python3-requests python3-nacl python3-cbor2 clang-format sqlite3 oathtool
      python3-aiosmtpd postgresql-15 postgresql-client-15 chromium clang libclang-rt-14-dev
      nginx-light openssl curl slapd ldap-utils poppler-utils python3-cryptography python3-prometheus-client
      debhelper lintian man-db adduser systemd)
bench=(wrk curl bc)

case "${1:-run}" in
run) want=("${build[@]}") ;;
test) want=("${build[@]}" "${test[@]}") ;;
bench) want=("${build[@]}" "${test[@]}" "${bench[@]}") ;;
*) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac

missing=()
# Node.js and npm for the browser tests: Debian's packages, unless a Node.js (>= 18) with npm is
# already installed (a NodeSource nodejs, say, which bundles npm and conflicts with Debian's npm).
if [ "${1:-run}" != run ] && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
    want+=(nodejs npm)
fi
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Packages such as nginx-light and postgresql-15 would start a system service on install (nginx
# on port 80, failing the install where the port is taken); the tests start their own instances,
# so no service is started (policy-rc.d 101, Debian's convention), unless one already decides.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
