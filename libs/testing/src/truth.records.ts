/**
 * Flow records made from gen-pcap.py's ground truth, for specs and benchmarks
 * that need realistic records before or beside the native sensor. A flow long
 * enough to span a status interval can be split into a status record and a
 * final one, counters as deltas, the way a sensor reports a long flow.
 */
import { FlowRecord, PROTO_BY_NUMBER } from '@panoptes/flow';
import { genPcap, TruthFlow } from './gen-pcap';

/** Runs gen-pcap.py (cached by arguments) and returns its ground truth. */
export function generateTruth(args: Record<string, string | number>): TruthFlow[] {
  return genPcap(args).truth();
}

/**
 * The records a sensor would give for one truth flow. With `splitAt` (a
 * time inside the flow) the flow becomes a status record up to splitAt and a
 * final record after it, packets and bytes divided between them.
 */
export function truthRecords(f: TruthFlow, uid: string, splitAt?: number, sid = 'truth'): FlowRecord[] {
  // Catalogue order; fields the truth leaves null are left out, as a sensor does.
  const whole = {
    uid,
    seq: 0,
    rtype: 'final',
    sid,
    stime: f.stime,
    ltime: f.ltime,
    dur: round6(f.ltime - f.stime),
    proto: PROTO_BY_NUMBER.get(f.proto) ?? String(f.proto),
    saddr: f.saddr,
    sport: f.sport,
    dir: '->',
    daddr: f.daddr,
    dport: f.dport,
    spkts: f.spkts,
    dpkts: f.dpkts,
    sbytes: f.sbytes,
    dbytes: f.dbytes,
    vlan: f.vlan,
    dname: f.dname,
  } as FlowRecord;
  const o = whole as Record<string, unknown>;
  for (const k of Object.keys(o)) if (o[k] === null || o[k] === undefined) delete o[k];
  if (splitAt === undefined || !(splitAt > f.stime && splitAt < f.ltime)) return [whole];
  const sp = Math.floor(f.spkts / 2);
  const dp = Math.floor(f.dpkts / 2);
  const sb = Math.floor(f.sbytes / 2);
  const db = Math.floor(f.dbytes / 2);
  return [
    {
      ...whole,
      rtype: 'status',
      ltime: splitAt,
      dur: round6(splitAt - f.stime),
      spkts: sp,
      dpkts: dp,
      sbytes: sb,
      dbytes: db,
    },
    {
      ...whole,
      seq: 1,
      stime: splitAt,
      dur: round6(f.ltime - splitAt),
      spkts: f.spkts - sp,
      dpkts: f.dpkts - dp,
      sbytes: f.sbytes - sb,
      dbytes: f.dbytes - db,
    },
  ];
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The records a sensor would write for truth flow i: every 5th flow with more
 * than one packet each way split into a status and a final record at its
 * midpoint, so merging (store, aggregation) is exercised.
 */
export function recordsOf(t: TruthFlow, i: number): FlowRecord[] {
  const split = i % 5 === 0 && t.spkts >= 2 && t.dpkts >= 2;
  const mid = round6((t.stime + t.ltime) / 2);
  return truthRecords(t, `g${String(i).padStart(7, '0')}`, split ? mid : undefined, 'gen-pcap');
}

/** How a rogue-DNS alert and a truth DNS flow are matched: client, name and answer time. */
export const dnsAnswerKey = (client: string, qname: string, time: number): string =>
  `${client} ${qname} ${time.toFixed(6)}`;

/** The keys of the answers the truth marks rogue (sent by a resolver off the allow-list), sorted. */
export function rogueAnswerKeys(truth: readonly TruthFlow[]): string[] {
  return truth
    .filter((t) => t.kind === 'dns' && t.rogue)
    .map((t) => dnsAnswerKey(t.saddr, t.qname!, t.ltime))
    .sort();
}
