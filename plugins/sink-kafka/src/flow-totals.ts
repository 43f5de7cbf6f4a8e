import { FlowRecord, FlowTotals } from '@panoptes/flow';

interface Track {
  nextSeq: number;
  totals: FlowTotals;
}

/**
 * Running totals of the flows in flight, for OCSF cumulative_traffic. A flow
 * is tracked from its record 0; a gap in its sequence (a record this sink
 * never saw, e.g. before a restart) stops the tracking, so a total is only
 * ever reported when it is the true sum. Bounded: the oldest flows are
 * forgotten first.
 */
export class FlowTotalsTracker {
  private readonly flows = new Map<string, Track>();

  constructor(private readonly max: number) {}

  /** The flow's totals including this record, or undefined when they are not known. */
  add(r: FlowRecord): FlowTotals | undefined {
    if (this.max === 0) return undefined;
    let t = this.flows.get(r.uid);
    if (r.seq === 0) t = { nextSeq: 0, totals: { spkts: 0, dpkts: 0, sbytes: 0, dbytes: 0 } };
    if (!t || r.seq !== t.nextSeq) {
      // A redelivered record (seq below nextSeq) is a duplicate: it changes nothing.
      if (t && r.seq > t.nextSeq) this.flows.delete(r.uid);
      return undefined;
    }
    const totals = {
      spkts: t.totals.spkts + r.spkts,
      dpkts: t.totals.dpkts + r.dpkts,
      sbytes: t.totals.sbytes + r.sbytes,
      dbytes: t.totals.dbytes + r.dbytes,
    };
    this.flows.delete(r.uid);
    if (r.rtype !== 'final') {
      this.flows.set(r.uid, { nextSeq: r.seq + 1, totals });
      if (this.flows.size > this.max) this.flows.delete(this.flows.keys().next().value as string);
    }
    return totals;
  }

  get size(): number {
    return this.flows.size;
  }
}
