/**
 * Running totals per source and per destination address over everything
 * stored: the "top talkers" question (top N by bytes over the whole range,
 * no filter) is the most common one and would otherwise group every flow
 * row on every call. Each append adds its records' sums in the same
 * transaction that stores them; retention rebuilds the totals from the
 * tables. Two sets per address, as the tables have them: merged flows
 * (count = flows) and raw records (count = records); counters are the same
 * sums either way until retention removes records of flows it keeps.
 */
export const TOTAL_KEYS = ['saddr', 'daddr'] as const;
export type TotalKey = (typeof TOTAL_KEYS)[number];

/** Counter columns kept, in array order; then the count. */
export const TOTAL_COUNTERS = ['sbytes', 'dbytes', 'spkts', 'dpkts', 'sappbytes', 'dappbytes'] as const;
const COUNT = TOTAL_COUNTERS.length;
const WIDTH = COUNT + 1;

/** Metrics the totals can answer, as sums of kept columns. */
const METRIC_PARTS: Readonly<Record<string, readonly number[]>> = {
  count: [COUNT],
  bytes: [0, 1],
  pkts: [2, 3],
  appbytes: [4, 5],
  ...Object.fromEntries(TOTAL_COUNTERS.map((c, i) => [c, [i]])),
};

/** More distinct addresses than this and the totals are dropped (queries go to SQL). */
const MAX_KEYS = 2_000_000;

export interface TotalsRow {
  readonly key: string;
  readonly metrics: number[];
}

export class KeyTotals {
  private flows = new Map<string, Float64Array>();
  private records = new Map<string, Float64Array>();
  /** False after a NULL address or too many addresses: not usable until rebuilt. */
  valid = true;

  static canAnswer(metrics: readonly string[]): boolean {
    return metrics.every((m) => METRIC_PARTS[m] !== undefined);
  }

  clear(): void {
    this.flows.clear();
    this.records.clear();
    this.valid = true;
  }

  /**
   * Adds rows of [key, ...TOTAL_COUNTERS sums, count] to the flow or the
   * record totals.
   */
  add(which: 'flows' | 'records', key: unknown, values: readonly unknown[]): void {
    if (!this.valid) return;
    if (typeof key !== 'string') {
      this.valid = false;
      return;
    }
    const map = which === 'flows' ? this.flows : this.records;
    let t = map.get(key);
    if (!t) {
      if (map.size >= MAX_KEYS) {
        this.valid = false;
        this.flows.clear();
        this.records.clear();
        return;
      }
      map.set(key, (t = new Float64Array(WIDTH)));
    }
    for (let i = 0; i < WIDTH; i++) t[i] += Number(values[i] ?? 0);
  }

  /** The top N keys by the first metric (descending, ties by key ascending), with every metric. */
  top(metrics: readonly string[], n: number, records: boolean): TotalsRow[] {
    const parts = metrics.map((m) => METRIC_PARTS[m]);
    const first = parts[0];
    const value = (t: Float64Array): number => first.reduce((a, i) => a + t[i], 0);
    const before = (av: number, ak: string, bv: number, bk: string): boolean => av > bv || (av === bv && ak < bk);
    // A sorted selection of the best n: one pass, no sort of every key.
    const best: { key: string; v: number; t: Float64Array }[] = [];
    for (const [key, t] of records ? this.records : this.flows) {
      if (t[COUNT] <= 0) continue;
      const v = value(t);
      if (best.length === n && !before(v, key, best[n - 1].v, best[n - 1].key)) continue;
      let i = best.length;
      while (i > 0 && before(v, key, best[i - 1].v, best[i - 1].key)) i--;
      best.splice(i, 0, { key, v, t });
      if (best.length > n) best.pop();
    }
    return best.map(({ key, t }) => ({ key, metrics: parts.map((p) => p.reduce((a, i) => a + t[i], 0)) }));
  }
}

/** SQL of per-address sums over a relation, one grouping set per kept address field; `count` gives `n`, `flowCount` (if any) `nf`. */
export function totalsSql(from: string, count: string, flowCount?: string): string {
  const sums = TOTAL_COUNTERS.map((c) => `coalesce(sum("${c}"), 0) AS "${c}"`).join(', ');
  return (
    `SELECT ${TOTAL_KEYS.map((k) => `"${k}"`).join(', ')}, ${TOTAL_KEYS.map((k) => `GROUPING("${k}") AS "g_${k}"`).join(', ')}, ` +
    `${sums}, ${count} AS n${flowCount ? `, ${flowCount} AS nf` : ''} FROM ${from} GROUP BY GROUPING SETS (${TOTAL_KEYS.map((k) => `("${k}")`).join(', ')})`
  );
}

/** Applies rows of totalsSql to the totals of each address field. */
export function addTotals(
  totals: ReadonlyMap<TotalKey, KeyTotals>,
  which: 'flows' | 'records',
  rows: readonly Record<string, unknown>[],
  count: 'n' | 'nf' = 'n',
): void {
  for (const r of rows) {
    for (const k of TOTAL_KEYS) {
      if (r[`g_${k}`] !== 0) continue;
      totals.get(k)?.add(which, r[k], [...TOTAL_COUNTERS.map((c) => r[c]), r[count]]);
    }
  }
}
