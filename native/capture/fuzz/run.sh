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
mkdir -p fuzz/corpus/pcap_reader fuzz/corpus/decode fuzz/corpus/dns fuzz/corpus/kafka_text
cp -n "$repo"/test/fixtures/pcaps/*.pcap* fuzz/corpus/pcap_reader/ 2>/dev/null || true
shared="$repo/../shared/data/pcaps"
if [ -d "$shared" ]; then
  find "$shared/zeek-traces" "$shared/suricata-verify" -name '*.pcap*' -size -64k -exec cp -n {} fuzz/corpus/pcap_reader/ \; 2>/dev/null || true
fi
# kafka_text: a message of records as the Kafka bus writes it, plain and as an LZ4 frame.
printf '%s\n' '{"uid":"a","seq":0,"saddr":"10.0.0.1","stime":1700000000.123456}' '{"uid":"b","x":[1,"y\\"],"n":-0.5}' \
  '{"uid":"c","seq":1,"saddr":"10.0.0.2","stime":1700000000.5}' '{"uid":"d","seq":2,"saddr":"::1","sco":"GB"}' \
  '{ "uid": "c" }' >fuzz/corpus/kafka_text/lines
node -e 'const c = require(process.argv[1]); const fs = require("fs");
  fs.writeFileSync(process.argv[3], c.lz4Compress(fs.readFileSync(process.argv[2])));' \
  "$here/.." fuzz/corpus/kafka_text/lines fuzz/corpus/kafka_text/lines.lz4 2>/dev/null || true
for t in pcap_reader decode dns kafka_text; do
  echo "fuzz: $t for ${SECONDS_EACH}s"
  log="$(mktemp)"
  status=0
  cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" -- -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=1024 >"$log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ +DONE|Done|==[0-9]+==|SUMMARY|artifact)" "$log" || true
  # A failing build and a crash both end non-zero; a crash also leaves an artifact.
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log"
    if ls fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/timeout-* fuzz/artifacts/"$t"/oom-* >/dev/null 2>&1; then
      echo "fuzz: $t found a failing input:"; ls fuzz/artifacts/"$t"
    else
      echo "fuzz: $t did not run (exit $status)"
    fi
    exit 1
  fi
  rm -f "$log"
done
echo "fuzz: all targets ran ${SECONDS_EACH}s without a crash"
