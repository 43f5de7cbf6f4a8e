#!/usr/bin/env bash
# The issue's benchmark, beside argus in the same run: medians of RUNS runs of
#   panoptes bench sensor FILE            (sensor alone)
#   panoptes read -r FILE -w OUT          (JSON lines written, end to end)
#   argus -r FILE -w X.argus; ra -r X.argus > OUT
# on gen-pcap --flows 100000 --snaplen 128 --seed 1, and each program's fixed
# start/exit cost measured on a 5-flow file, so ratios are net of it.
# Usage: native/capture/bench-vs-argus.sh [RUNS]   (needs a built tree and argus)
set -euo pipefail
RUNS="${1:-5}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
gen="$repo/test/tools/gen-pcap.py"
tmp="${TMPDIR:-/tmp}/panoptes-bench"
mkdir -p "$tmp"
[ -f "$tmp/big.pcap" ] || python3 "$gen" --flows 100000 --snaplen 128 --seed 1 --out "$tmp/big.pcap" 2>/dev/null
[ -f "$tmp/small.pcap" ] || python3 "$gen" --flows 5 --snaplen 128 --seed 1 --out "$tmp/small.pcap" 2>/dev/null
panoptes() { node "$repo/apps/panoptes/bin/panoptes.js" "$@"; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run_argus() { rm -f "$tmp/x.argus"; argus -r "$1" -w "$tmp/x.argus" && ra -r "$tmp/x.argus" > "$tmp/x.ra"; }
declare -A T
for name in read_big read_small argus_big argus_small; do T[$name]=""; done
sensor=""
for i in $(seq "$RUNS"); do
  sensor+="$(panoptes bench sensor "$tmp/big.pcap")"$'\n'
  T[read_big]+="$(secs panoptes read -r "$tmp/big.pcap" -w "$tmp/out.jsonl")"$'\n'
  T[read_small]+="$(secs panoptes read -r "$tmp/small.pcap" -w "$tmp/out-small.jsonl")"$'\n'
  T[argus_big]+="$(secs run_argus "$tmp/big.pcap")"$'\n'
  T[argus_small]+="$(secs run_argus "$tmp/small.pcap")"$'\n'
done
for name in read_big read_small argus_big argus_small; do
  printf '%s %s\n' "$name" "$(printf '%s' "${T[$name]}" | median)"
done > "$tmp/medians.txt"
echo "$sensor" | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
m = dict(l.split() for l in open(sys.argv[1]))
m = {k: float(v) for k, v in m.items()}
net_read = m["read_big"] - m["read_small"]
net_argus = m["argus_big"] - m["argus_small"]
print(json.dumps({"sensor": med, "read_s": m["read_big"], "read_fixed_s": m["read_small"], "argus_s": m["argus_big"], "argus_fixed_s": m["argus_small"],
  "read_net_s": round(net_read, 3), "argus_net_s": round(net_argus, 3), "speedup_net": round(net_argus / net_read, 2),
  "argus_pps_net": round(med["packets"] / net_argus), "read_pps_net": round(med["packets"] / net_read)}))
' "$tmp/medians.txt"
