#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 60), seeded with the
# committed capture fixtures (and ../shared/data/pcaps when present).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Exits non-zero, leaving the crashing input under fuzz/artifacts/, on a crash.
set -euo pipefail
SECONDS_EACH="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cd "$here/.."
mkdir -p fuzz/corpus/pcap_reader fuzz/corpus/decode fuzz/corpus/dns
cp -n "$repo"/test/fixtures/pcaps/*.pcap* fuzz/corpus/pcap_reader/ 2>/dev/null || true
shared="$repo/../shared/data/pcaps"
if [ -d "$shared" ]; then
  find "$shared/zeek-traces" "$shared/suricata-verify" -name '*.pcap*' -size -64k -exec cp -n {} fuzz/corpus/pcap_reader/ \; 2>/dev/null || true
fi
for t in pcap_reader decode dns; do
  echo "fuzz: $t for ${SECONDS_EACH}s"
  cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" -- -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=1024 2>&1 | grep -E "^(#[0-9]+ +DONE|Done|==[0-9]+==|SUMMARY|artifact)" || true
  # libFuzzer's exit status was swallowed by the pipe: an artifact means a crash.
  if ls fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/timeout-* fuzz/artifacts/"$t"/oom-* >/dev/null 2>&1; then
    echo "fuzz: $t found a failing input:"; ls fuzz/artifacts/"$t"; exit 1
  fi
done
echo "fuzz: all targets ran ${SECONDS_EACH}s without a crash"
