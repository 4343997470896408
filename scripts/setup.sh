#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build, run and test metald, then builds it.
# Idempotent: on a machine that has everything it only runs `pnpm install` and `pnpm build`.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(nftables iproute2 clang libbpf-dev bpftool iputils-ping python3-scapy thc-ipv6 iperf3 prometheus jq curl tcpdump bc chromium rsyslog rsyslog-gnutls)
PNPM_VERSION=10.34.8

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
command -v psql >/dev/null || missing+=(postgresql)
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The test suite runs every database test against PostgreSQL too (127.0.0.1:5432, database "test").
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  cluster=$(ls /etc/postgresql | head -1)
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test"
fi

if [[ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]]; then
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi
pnpm install --frozen-lockfile
pnpm build

# The `metald` command the docs use (`metald token create`, `metald precheck`, `metald vm-exec`):
# the built entry point, linked onto PATH.
chmod +x apps/metald/dist/main.js
ln -sfn "$PWD/apps/metald/dist/main.js" /usr/local/bin/metald
