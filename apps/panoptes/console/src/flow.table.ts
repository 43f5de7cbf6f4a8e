// The live view's model: one row per flow uid. The back-fill brings merged
// flows (GET /flows: a flow's records summed, the latest record's other
// fields, its seq); the live stream then brings records (status and final,
// counters as deltas) that are folded in, de-duplicated by uid + seq so a
// record the merged row already holds counts once. Pure, no DOM.

/** A flow record as the API sends it: Argus field names, counters as deltas. */
export type FlowRecordJson = Record<string, unknown> & { uid: string; seq: number };

export interface FlowRow {
  uid: string;
  /** The most recent record of the flow, for the detail panel. */
  last: FlowRecordJson;
  stime: number;
  ltime: number;
  spkts: number;
  dpkts: number;
  sbytes: number;
  dbytes: number;
  /** Records folded in. */
  records: number;
  final: boolean;
  /** Order of the latest update, for eviction. */
  touched: number;
}

export type SortKey = 'rate' | 'bytes' | 'pkts' | 'ltime' | 'dur';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export const rowBytes = (r: FlowRow): number => r.sbytes + r.dbytes;
export const rowPkts = (r: FlowRow): number => r.spkts + r.dpkts;
export const rowDur = (r: FlowRow): number => Math.max(0, r.ltime - r.stime);
/** Bytes per second over the flow's life; 0 for a flow seen at one instant, as Argus does. */
export const rowRate = (r: FlowRow): number => (rowDur(r) > 0 ? rowBytes(r) / rowDur(r) : 0);

const KEY: Record<SortKey, (r: FlowRow) => number> = {
  rate: rowRate,
  bytes: rowBytes,
  pkts: rowPkts,
  ltime: (r) => r.ltime,
  dur: rowDur,
};

export class FlowTable {
  private readonly rows = new Map<string, FlowRow>();
  private readonly seen = new Map<string, Set<number>>();
  /** Per flow, the seq of the merged row it was set from: records up to it are in its totals already. */
  private readonly coveredTo = new Map<string, number>();
  private clock = 0;

  /** @param maxRows rows kept; the least recently updated go first. */
  constructor(private readonly maxRows = 5000) {}

  get size(): number {
    return this.rows.size;
  }

  clear(): void {
    this.rows.clear();
    this.seen.clear();
    this.coveredTo.clear();
  }

  get(uid: string): FlowRow | undefined {
    return this.rows.get(uid);
  }

  /** Folds records in; returns how many were new (not duplicates, not malformed). */
  add(records: readonly unknown[]): number {
    let added = 0;
    for (const raw of records) {
      if (!raw || typeof raw !== 'object') continue;
      const rec = raw as FlowRecordJson;
      if (typeof rec.uid !== 'string') continue;
      const seq = num(rec.seq);
      let seqs = this.seen.get(rec.uid);
      if (!seqs) this.seen.set(rec.uid, (seqs = new Set()));
      if (seqs.has(seq) || seq <= (this.coveredTo.get(rec.uid) ?? -1)) continue;
      seqs.add(seq);
      added++;
      const stime = num(rec.stime);
      const ltime = num(rec.ltime);
      const row = this.rows.get(rec.uid);
      if (!row) {
        this.rows.set(rec.uid, {
          uid: rec.uid,
          last: rec,
          stime,
          ltime,
          spkts: num(rec.spkts),
          dpkts: num(rec.dpkts),
          sbytes: num(rec.sbytes),
          dbytes: num(rec.dbytes),
          records: 1,
          final: rec.rtype === 'final',
          touched: ++this.clock,
        });
        continue;
      }
      row.spkts += num(rec.spkts);
      row.dpkts += num(rec.dpkts);
      row.sbytes += num(rec.sbytes);
      row.dbytes += num(rec.dbytes);
      row.records++;
      row.stime = Math.min(row.stime, stime);
      if (ltime >= row.ltime) {
        row.ltime = ltime;
        row.last = rec;
      }
      row.final ||= rec.rtype === 'final';
      row.touched = ++this.clock;
    }
    this.evict();
    return added;
  }

  /**
   * Sets rows from merged flows (GET /flows: counters are the flow's totals up
   * to its latest record, whose seq the row carries). A merged row replaces
   * what was folded for its flow unless the table has seen a later record;
   * returns how many rows were set.
   */
  addMerged(flows: readonly unknown[]): number {
    let set = 0;
    for (const raw of flows) {
      if (!raw || typeof raw !== 'object') continue;
      const rec = raw as FlowRecordJson;
      if (typeof rec.uid !== 'string') continue;
      const seq = num(rec.seq);
      const seqs = this.seen.get(rec.uid);
      if (seqs && [...seqs].some((s) => s > seq)) continue;
      if ((this.coveredTo.get(rec.uid) ?? -1) > seq) continue;
      this.seen.set(rec.uid, new Set());
      this.coveredTo.set(rec.uid, seq);
      this.rows.set(rec.uid, {
        uid: rec.uid,
        last: rec,
        stime: num(rec.stime),
        ltime: num(rec.ltime),
        spkts: num(rec.spkts),
        dpkts: num(rec.dpkts),
        sbytes: num(rec.sbytes),
        dbytes: num(rec.dbytes),
        records: seq + 1,
        final: rec.rtype === 'final',
        touched: ++this.clock,
      });
      set++;
    }
    this.evict();
    return set;
  }

  /** Rows sorted by a key, largest first (ascending when asked), ties broken by uid for a stable order. */
  sorted(key: SortKey, ascending = false, limit = Infinity): FlowRow[] {
    const k = KEY[key];
    const dir = ascending ? 1 : -1;
    return [...this.rows.values()]
      .sort((a, b) => dir * (k(a) - k(b)) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0))
      .slice(0, limit);
  }

  private evict(): void {
    if (this.rows.size <= this.maxRows) return;
    const victims = [...this.rows.values()]
      .sort((a, b) => a.touched - b.touched)
      .slice(0, this.rows.size - this.maxRows);
    for (const v of victims) {
      this.rows.delete(v.uid);
      this.seen.delete(v.uid);
      this.coveredTo.delete(v.uid);
    }
  }
}
