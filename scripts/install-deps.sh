#!/usr/bin/env bash
# Installs (apt-get, as root) only the Debian packages that are missing, then kafkajs
# (npm) for test_kafkajs.sh when it is not there at the pinned version.
# Idempotent: a machine that already has everything runs no apt or npm command at all.
set -euo pipefail

pkgs=(
  cmake gcc g++ make clang libclang-rt-14-dev pkg-config python3
  libcunit1-dev libbenchmark-dev libjemalloc-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libssl-dev openssl
  libisal-dev librdkafka-dev kcat
  # Cyrus SASL's server side for test_sasl_cyrus (SCRAM, PLAIN and sasldb plugins)
  libsasl2-dev libsasl2-modules libsasl2-modules-db
  # node and npm for kafkajs (test_kafkajs.sh); a node already installed otherwise
  # (e.g. from its vendor's packages, which bring npm along) is used as it is
  libmicrohttpd-dev curl
  # sd_notify for kafka-agent run under systemd (Type=notify, watchdog)
  libsystemd-dev
  # headless Chromium renders bench --report pages in test_agent_report (~100 MB with its
  # libraries, about a minute to install)
  chromium
  # promtool for test_agent_metrics (the whole server comes with it: 19 MB, about 30 s
  # to install here, its service is not started)
  prometheus
)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# kafkajs, the version tests/node/package.json pins, into tests/node/node_modules
# (git-ignored; no lockfile kept), once the packages below are in.
install_kafkajs() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/node"
  local want
  want=$(sed -n 's/.*"kafkajs": *"\([^"]*\)".*/\1/p' "$dir/package.json")
  if [ -f "$dir/node_modules/kafkajs/package.json" ] &&
     grep -q "\"version\": *\"$want\"" "$dir/node_modules/kafkajs/package.json"; then
    return 0
  fi
  echo "install-deps: npm install kafkajs@$want into tests/node" >&2
  (cd "$dir" && npm install --no-package-lock --no-audit --no-fund --loglevel=error >/dev/null) ||
    echo "install-deps: npm could not install kafkajs: test_kafkajs will report itself skipped" >&2
}

if [ "${#missing[@]}" -eq 0 ]; then
  install_kafkajs
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
install_kafkajs
