// The live view's model: flow records (status and final, counters as deltas)
// folded into one row per flow uid, de-duplicated by uid + seq so a record
// seen both in the back-fill and on the live stream counts once. Pure, no DOM.

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
  private clock = 0;

  /** @param maxRows rows kept; the least recently updated go first. */
  constructor(private readonly maxRows = 5000) {}

  get size(): number {
    return this.rows.size;
  }

  clear(): void {
    this.rows.clear();
    this.seen.clear();
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
      if (seqs.has(seq)) continue;
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
    const victims = [...this.rows.values()].sort((a, b) => a.touched - b.touched).slice(0, this.rows.size - this.maxRows);
    for (const v of victims) {
      this.rows.delete(v.uid);
      this.seen.delete(v.uid);
    }
  }
}
