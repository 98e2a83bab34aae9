#!/usr/bin/env bash
# Install the Debian packages deskmail needs to build, test and run.
# Non-interactive and idempotent: only missing packages are installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  libetpan-dev libgmime-3.0-dev liblmdb-dev libssl-dev libxml2-dev
  libspdlog-dev libfmt-dev catch2 libcli11-dev libtomlplusplus-dev
  nlohmann-json3-dev libcpp-httplib-dev libytnef0-dev liblz4-dev
  dovecot-imapd isync openssl python3 procps
  python3-flufl.bounce libgsf-1-dev libpsl-dev publicsuffix
  libmstch-dev libsystemd-dev chromium chromium-driver python3-selenium prometheus
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -qq"
echo "bootstrap: installing ${missing[*]}" >&2
# Installing dovecot must not start a system-wide server on 143/993.
cleanup_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  cleanup_policy=1
fi
$APT update >/dev/null
$APT install --no-install-recommends "${missing[@]}" >/dev/null
[ -n "$cleanup_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d
exit 0
