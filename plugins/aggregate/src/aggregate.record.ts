/**
 * The aggregate record: one group (key values) over one event-time window,
 * in rabins' manner. Field names are Argus's wherever racluster/rabins print
 * the same figure (trans, pkts, bytes, mean, min, max, rate, load).
 */
import { HyperLogLog } from './aggregate.hll';
import { KeyValue } from './aggregate.keys';

export interface AggregateRecord {
  /** Always `agg`: tells an aggregate from a flow record on a shared topic. */
  rtype: 'agg';
  /** Window start, epoch seconds (a multiple of binSec). */
  stime: number;
  /** Window end (exclusive): stime + binSec. */
  ltime: number;
  /** The window length in seconds (binSec). */
  dur: number;
  /** The key fields by name (`saddr: "10.0.0.0/24"`, `proto: "tcp"`, `dport: 443`); null on the `other` group. */
  [key: string]: unknown;
  /**
   * Present and true on the group that holds what did not fit: records whose
   * key arrived after the window had maxGroups groups, and with topN, every
   * group below the top N.
   */
  other?: true;
  /** On the `other` group: how many groups it stands for (overflowed keys are estimated by HyperLogLog). */
  groups?: number;
  /** Flow records merged (racluster's trans). */
  trans: number;
  /** Flows that started in this window: records with seq 0 (or with no seq). Status records of a long flow add their deltas but not a flow. */
  flows: number;
  /** Packet and byte sums by direction and in total (sums of the records' deltas). */
  spkts: number;
  dpkts: number;
  pkts: number;
  sbytes: number;
  dbytes: number;
  bytes: number;
  sappbytes: number;
  dappbytes: number;
  /** Mean, smallest and largest record duration (s). */
  mean: number;
  min: number;
  max: number;
  /** Packets per second over the window, both directions, source, destination. */
  rate: number;
  srate: number;
  drate: number;
  /** Bits per second over the window, both directions, source, destination. */
  load: number;
  sload: number;
  dload: number;
  /** Distinct values per configured field (HyperLogLog estimates; exact below 2^p/32 values). */
  distinct?: Record<string, number>;
}

/** The running sums of one group in one window. Durations in whole microseconds so sums are exact and order independent. */
export class GroupState {
  trans = 0;
  flows = 0;
  spkts = 0;
  dpkts = 0;
  sbytes = 0;
  dbytes = 0;
  sappbytes = 0;
  dappbytes = 0;
  durSumUs = 0;
  durMinUs = Infinity;
  durMaxUs = -Infinity;
  readonly hll: HyperLogLog[];

  constructor(
    /** The key string (for sorting) and the displayed key values. */
    readonly key: string,
    readonly keyValues: readonly KeyValue[],
    distinctFields: number,
    precision: number,
  ) {
    this.hll = [];
    for (let i = 0; i < distinctFields; i++) this.hll.push(new HyperLogLog(precision));
  }

  /** Adds one record's counters; `n` fields absent on the record count as 0. */
  add(r: Record<string, unknown>): void {
    this.trans++;
    const seq = r.seq;
    if (seq === 0 || seq === undefined || seq === null) this.flows++;
    this.spkts += num(r.spkts);
    this.dpkts += num(r.dpkts);
    this.sbytes += num(r.sbytes);
    this.dbytes += num(r.dbytes);
    this.sappbytes += num(r.sappbytes);
    this.dappbytes += num(r.dappbytes);
    const d = typeof r.dur === 'number' ? r.dur : num(r.ltime) - num(r.stime);
    const us = Math.round(d * 1e6);
    this.durSumUs += us;
    if (us < this.durMinUs) this.durMinUs = us;
    if (us > this.durMaxUs) this.durMaxUs = us;
  }

  /** Folds another group in (top-N remainder). */
  merge(o: GroupState): void {
    this.trans += o.trans;
    this.flows += o.flows;
    this.spkts += o.spkts;
    this.dpkts += o.dpkts;
    this.sbytes += o.sbytes;
    this.dbytes += o.dbytes;
    this.sappbytes += o.sappbytes;
    this.dappbytes += o.dappbytes;
    this.durSumUs += o.durSumUs;
    if (o.durMinUs < this.durMinUs) this.durMinUs = o.durMinUs;
    if (o.durMaxUs > this.durMaxUs) this.durMaxUs = o.durMaxUs;
    for (let i = 0; i < this.hll.length; i++) this.hll[i].merge(o.hll[i]);
  }

  toRecord(
    start: number,
    binSec: number,
    keyFields: readonly string[],
    distinct: readonly string[],
    other?: { groups: number },
  ): AggregateRecord {
    const rec: AggregateRecord = { rtype: 'agg', stime: start, ltime: start + binSec, dur: binSec } as AggregateRecord;
    for (let i = 0; i < keyFields.length; i++) rec[keyFields[i]] = other ? null : this.keyValues[i];
    if (other) {
      rec.other = true;
      rec.groups = other.groups;
    }
    const pkts = this.spkts + this.dpkts;
    const bytes = this.sbytes + this.dbytes;
    rec.trans = this.trans;
    rec.flows = this.flows;
    rec.spkts = this.spkts;
    rec.dpkts = this.dpkts;
    rec.pkts = pkts;
    rec.sbytes = this.sbytes;
    rec.dbytes = this.dbytes;
    rec.bytes = bytes;
    rec.sappbytes = this.sappbytes;
    rec.dappbytes = this.dappbytes;
    rec.mean = this.trans ? round6(this.durSumUs / this.trans / 1e6) : 0;
    rec.min = this.trans ? this.durMinUs / 1e6 : 0;
    rec.max = this.trans ? this.durMaxUs / 1e6 : 0;
    rec.rate = round6(pkts / binSec);
    rec.srate = round6(this.spkts / binSec);
    rec.drate = round6(this.dpkts / binSec);
    rec.load = round6((bytes * 8) / binSec);
    rec.sload = round6((this.sbytes * 8) / binSec);
    rec.dload = round6((this.dbytes * 8) / binSec);
    if (distinct.length) {
      const d: Record<string, number> = {};
      for (let i = 0; i < distinct.length; i++) d[distinct[i]] = this.hll[i].count();
      rec.distinct = d;
    }
    return rec;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && v === v ? v : 0;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
