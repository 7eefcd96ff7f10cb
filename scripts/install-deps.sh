#!/usr/bin/env bash
# Installs (apt-get, as root) only the Debian packages that are missing.
# Idempotent: a machine that already has everything runs no apt command at all.
set -euo pipefail

pkgs=(
  cmake gcc g++ make clang libclang-rt-14-dev pkg-config python3
  libcunit1-dev libbenchmark-dev libjemalloc-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libssl-dev openssl
  libisal-dev librdkafka-dev kcat
  # Cyrus SASL's server side for test_sasl_cyrus (SCRAM, PLAIN and sasldb plugins)
  libsasl2-dev libsasl2-modules libsasl2-modules-db
  libmicrohttpd-dev curl
  # promtool for test_agent_metrics (the whole server comes with it: 19 MB, about 30 s
  # to install here, its service is not started)
  prometheus
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The tests want promtool only: a Prometheus server the package may have started (on a
# machine with systemd) is stopped and disabled rather than left listening.
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled prometheus >/dev/null 2>&1; then
  $sudo systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
fi
