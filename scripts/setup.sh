#!/usr/bin/env bash
# Installs everything Panoptes needs on a fresh Debian 12 machine, then builds it:
#   - Debian packages: libpcap headers (native capture), argus + ra (reference for
#     tests and benchmarks), tcpdump, Chromium (console tests), Maven + Java (the
#     Kafka broker the tests start), Python 3 (the traffic generator);
#   - npm dependencies (npm ci);
#   - the Apache Kafka broker jars from Maven Central (test/kafka/broker.sh fetch);
#   - cargo-fuzz; the native module (cargo) and the TypeScript build.
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(libpcap-dev argus-server argus-client tcpdump chromium maven python3 iproute2 curl bc)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo not found: install Rust (rustup) first" >&2; exit 1; }
command -v java >/dev/null || { echo "setup: java not found: install a Java 17+ runtime first" >&2; exit 1; }

# cargo-fuzz (from crates.io) drives the fuzz targets; they build on the
# nightly toolchain that rustup keeps beside stable on the machine image.
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet

echo "setup: npm ci" >&2
npm ci --no-audit --no-fund --loglevel=error

echo "setup: Kafka broker jars" >&2
bash test/kafka/broker.sh fetch

echo "setup: building (native + TypeScript)" >&2
npm run build --silent
echo "setup: done" >&2
