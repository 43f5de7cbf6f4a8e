// What the console reads out of the REST API's answers, in one place: the
// views never look inside a response body themselves. The shapes are the ones
// docs/api.md describes (apps/panoptes/src/api); a body of another shape reads
// as empty rather than as a guess. Pure, no DOM.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const listOf = (body: unknown, key: string): Obj[] => {
  const v = isObj(body) ? body[key] : undefined;
  return Array.isArray(v) ? v.filter(isObj) : [];
};

/** The rows of a GET /flows page: `{flows: [...], next}`. */
export function recordsOf(body: unknown): Obj[] {
  return listOf(body, 'flows');
}

/** The record of one live SSE `flow` event (its data is one flow record). */
export function liveRecordsOf(data: string): Obj[] {
  const j = JSON.parse(data) as unknown;
  return isObj(j) && typeof j.uid === 'string' ? [j] : [];
}

/** How many records the server left out for this client (an SSE `dropped` event: `{records: n}`). */
export function droppedOf(data: string): number {
  const j = JSON.parse(data) as unknown;
  return isObj(j) && Number.isFinite(Number(j.records)) ? Number(j.records) : 0;
}

/**
 * One group of an aggregate answer, flattened: the group's key values (named
 * as in `by`, e.g. `saddr`, `saddr/24`, `dport`) next to its metric values.
 */
export type AggRow = Obj;

/**
 * GET /flows/aggregate answers `{by, metrics, bin, groups: [{key: {...}, <metric>: n, series?}]}`;
 * each group becomes one flat row (the series is left out: see seriesOf).
 */
export function aggRowsOf(body: unknown): AggRow[] {
  return listOf(body, 'groups').map((g) => {
    const { key, series: _series, ...metrics } = g;
    return { ...(isObj(key) ? key : {}), ...metrics };
  });
}

/** A time-series point: the bin start `t` (epoch seconds) and the metric values in that bin. */
export type SeriesPoint = { t: number } & Record<string, number>;

/**
 * The time series of a binned aggregate (`bin=`): each group's `series`, summed
 * over the groups per bin (one group when there is no `by`), in time order.
 */
export function seriesOf(body: unknown): SeriesPoint[] {
  const bins = new Map<number, SeriesPoint>();
  for (const g of listOf(body, 'groups')) {
    for (const p of Array.isArray(g.series) ? g.series.filter(isObj) : []) {
      const t = Number(p.t);
      if (!Number.isFinite(t)) continue;
      let sum = bins.get(t);
      if (!sum) bins.set(t, (sum = { t } as SeriesPoint));
      for (const [k, v] of Object.entries(p)) if (k !== 't' && typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
    }
  }
  return [...bins.values()].sort((a, b) => a.t - b.t);
}

/** A plugin instance as the console shows it. */
export interface PluginView {
  id: string;
  use: string;
  kind: string;
  state: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  error?: string;
  stats: Record<string, number | string>;
}

/** GET /plugins answers `{plugins: [...]}`; the same fields as GET /pipeline's `nodes`, which lack stats. */
export function pluginsOf(body: unknown, key: 'plugins' | 'nodes' = 'plugins'): PluginView[] {
  return listOf(body, key).map((p) => ({
    id: String(p.id ?? ''),
    use: String(p.use ?? ''),
    kind: String(p.kind ?? ''),
    state: String(p.state ?? 'unknown'),
    inputs: isObj(p.inputs) ? (p.inputs as Record<string, string>) : {},
    outputs: isObj(p.outputs) ? (p.outputs as Record<string, string>) : {},
    error: typeof p.error === 'string' ? p.error : undefined,
    stats: isObj(p.stats) ? (p.stats as Record<string, number | string>) : {},
  }));
}

/** Queue depth (embedded bus) or consumer lag (Kafka) of one topic for one consumer group. */
export interface TopicQueue {
  topic: string;
  group: string;
  depth: number;
  capacity?: number;
  /** Records/s delivered to the group, as the host measures it. */
  ratePerSec?: number;
}

/** GET /pipeline's `topics: [{name, groups: [{group, depth, capacity?, delivered, ratePerSec}]}]`, one entry per topic and group. */
export function queuesOf(body: unknown): TopicQueue[] {
  return listOf(body, 'topics').flatMap((t) =>
    (Array.isArray(t.groups) ? t.groups.filter(isObj) : []).map((g) => ({
      topic: String(t.name ?? ''),
      group: String(g.group ?? ''),
      depth: Number(g.depth ?? 0),
      capacity: g.capacity === undefined || g.capacity === null ? undefined : Number(g.capacity),
      ratePerSec: g.ratePerSec === undefined || g.ratePerSec === null ? undefined : Number(g.ratePerSec),
    })),
  );
}

/** A number out of a stats map (counters may be reported as strings). */
export function stat(stats: Record<string, number | string>, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = stats[n];
    if (v !== undefined && v !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}
