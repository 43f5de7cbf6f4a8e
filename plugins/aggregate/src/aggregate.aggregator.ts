/**
 * The rollup itself, free of I/O so the plugin, the `panoptes cluster`
 * command and the benchmark share it. Records are grouped by key into
 * tumbling event-time windows of binSec by their stime. The watermark is the
 * largest stime seen less allowedLatenessSec; a window is final, and emitted,
 * once the watermark reaches its end. A record for a window already emitted
 * is late: it is counted and handed back to the caller (the plugin sends it
 * to its late topic), never merged into a later window or dropped.
 *
 * So a record displaced by at most allowedLatenessSec of event time is never
 * late, and the output does not depend on arrival order: windows close in
 * time order, groups are emitted sorted, sums are exact (durations are
 * summed in whole microseconds) and distinct-count sketches are order free.
 * With a sensor, allowedLatenessSec must cover its status interval, since a
 * record is stamped with the start of the interval it reports.
 *
 * Memory is bounded by maxGroups per open window: a key arriving after that
 * goes to the window's `other` group, and the overflow is counted.
 */
import { hashValue, HyperLogLog } from './aggregate.hll';
import { KeyPart, parseKeys } from './aggregate.keys';
import { GroupTable } from './aggregate.table';
import { AggregateRecord, GroupState } from './aggregate.record';

export type TopBy = 'bytes' | 'pkts' | 'trans' | 'flows';

export interface AggregatorOptions {
  /** Key specs (see aggregate.keys.ts). */
  readonly keys: readonly string[];
  /** Window length in seconds; 0 puts the whole input in one window (racluster without bins). */
  readonly binSec: number;
  /** How far behind the largest stime seen a record may be and still be merged. */
  readonly allowedLatenessSec: number;
  /** Groups kept per window; further keys go to the `other` group. */
  readonly maxGroups: number;
  /** Fields to count distinct values of, per group. */
  readonly distinct?: readonly string[];
  /** Emit only the top N groups per window by topBy, the rest folded into `other`; 0 emits all. */
  readonly topN?: number;
  readonly topBy?: TopBy;
  /** HyperLogLog precision (log2 registers). */
  readonly hllPrecision?: number;
}

export type AddResult = 'ok' | 'late' | 'bad';

export interface AggregatorCounters {
  records: number;
  late: number;
  bad: number;
  /** Records that went to an `other` group because their window had maxGroups groups. */
  overflow: number;
  windows: number;
  groups: number;
}

interface Window {
  readonly start: number;
  readonly groups: GroupTable;
  other?: GroupState;
  otherKeys?: HyperLogLog;
  first: number;
  last: number;
}

type Row = Record<string, unknown>;

export class Aggregator {
  readonly parts: readonly KeyPart[];
  readonly counters: AggregatorCounters = { records: 0, late: 0, bad: 0, overflow: 0, windows: 0, groups: 0 };
  private readonly keyFields: string[];
  private readonly distinct: readonly string[];
  private readonly precision: number;
  private readonly windows = new Map<number, Window>();
  private last?: Window;
  private maxStime = -Infinity;
  /** Windows starting before this are closed (emitted). */
  private closedBefore = -Infinity;

  constructor(private readonly o: AggregatorOptions) {
    this.parts = parseKeys(o.keys);
    this.keyFields = this.parts.map((p) => p.field);
    this.distinct = o.distinct ?? [];
    this.precision = o.hllPrecision ?? 12;
    if (!(o.binSec >= 0)) throw new Error(`binSec must be 0 or more, found ${o.binSec}`);
  }

  /** Open windows (for gauges). */
  get openWindows(): number {
    return this.windows.size;
  }

  /**
   * Adds one record. Aggregates of windows that this record's time made
   * final are appended to `out`. Returns 'late' for a record whose window was
   * already emitted and 'bad' for one with no numeric stime; neither is merged.
   */
  add(r: Row, out: AggregateRecord[]): AddResult {
    const t = r.stime;
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      this.counters.bad++;
      return 'bad';
    }
    const bin = this.o.binSec;
    const start = bin > 0 ? Math.floor(t / bin) * bin : 0;
    if (start < this.closedBefore) {
      this.counters.late++;
      return 'late';
    }
    if (t > this.maxStime) {
      this.maxStime = t;
      if (bin > 0) {
        const cb = Math.floor((t - this.o.allowedLatenessSec) / bin) * bin;
        if (cb > this.closedBefore) this.closeBefore(cb, out);
      }
    }
    let w = this.last;
    if (w === undefined || w.start !== start) {
      w = this.windows.get(start);
      if (w === undefined) {
        w = { start, groups: new GroupTable(this.parts), first: t, last: t };
        this.windows.set(start, w);
      }
      this.last = w;
    }
    if (bin === 0) {
      if (t < w.first) w.first = t;
      const lt = typeof r.ltime === 'number' ? r.ltime : t;
      if (lt > w.last) w.last = lt;
    }
    let g = w.groups.get(r);
    if (g === undefined) {
      const key = w.groups.keyOf(r);
      if (w.groups.size < this.o.maxGroups) {
        g = new GroupState(
          key.text,
          this.parts.map((p) => p.display(r)),
          this.distinct.length,
          this.precision,
        );
        w.groups.insert(key.values, g);
      } else {
        g = w.other ??= new GroupState('', [], this.distinct.length, this.precision);
        (w.otherKeys ??= new HyperLogLog(this.precision)).add(hashValue(key.text));
        this.counters.overflow++;
      }
    }
    g.add(r);
    for (let i = 0; i < this.distinct.length; i++) {
      const v = r[this.distinct[i]];
      if (v !== undefined && v !== null) g.hll[i].add(hashValue(v));
    }
    this.counters.records++;
    return 'ok';
  }

  /** Emits every open window (end of input, or stop). */
  flush(out: AggregateRecord[]): void {
    this.closeBefore(Infinity, out);
  }

  private closeBefore(bound: number, out: AggregateRecord[]): void {
    const starts = [...this.windows.keys()].filter((s) => s < bound).sort((a, b) => a - b);
    for (const s of starts) {
      const w = this.windows.get(s)!;
      this.windows.delete(s);
      this.emitWindow(w, out);
    }
    if (this.last && this.last.start < bound) this.last = undefined;
    if (bound !== Infinity) this.closedBefore = bound;
  }

  private emitWindow(w: Window, out: AggregateRecord[]): void {
    const bin = this.o.binSec;
    const start = bin > 0 ? w.start : w.first;
    const len = bin > 0 ? bin : w.last - w.first;
    let groups = w.groups.values();
    let other = w.other;
    let folded = 0;
    const topN = this.o.topN ?? 0;
    if (topN > 0) {
      const metric = METRIC[this.o.topBy ?? 'bytes'];
      groups.sort((a, b) => metric(b) - metric(a) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      if (groups.length > topN) {
        other ??= new GroupState('', [], this.distinct.length, this.precision);
        for (const g of groups.slice(topN)) other.merge(g);
        folded = groups.length - topN;
        groups = groups.slice(0, topN);
      }
    } else {
      groups.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    const rateLen = len > 0 ? len : 1;
    for (const g of groups) out.push(fix(g.toRecord(start, rateLen, this.keyFields, this.distinct), len));
    if (other) {
      const n = folded + (w.otherKeys?.count() ?? 0);
      out.push(fix(other.toRecord(start, rateLen, this.keyFields, this.distinct, { groups: n }), len));
    }
    this.counters.windows++;
    this.counters.groups += groups.length + (other ? 1 : 0);
  }
}

/** Without bins the record spans the data's own first and last times. */
function fix(r: AggregateRecord, len: number): AggregateRecord {
  if (r.dur !== len) {
    r.dur = Math.round(len * 1e6) / 1e6;
    r.ltime = Math.round((r.stime + len) * 1e6) / 1e6;
  }
  return r;
}

const METRIC: Record<TopBy, (g: GroupState) => number> = {
  bytes: (g) => g.sbytes + g.dbytes,
  pkts: (g) => g.spkts + g.dpkts,
  trans: (g) => g.trans,
  flows: (g) => g.flows,
};
