// What the console reads out of the REST API's answers, in one place: the
// views never look inside a response body themselves. Pure, no DOM.

/** The records of a GET /flows page (an array, or an object holding one). */
export function recordsOf(body: unknown): Record<string, unknown>[] {
  if (Array.isArray(body)) return body as Record<string, unknown>[];
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    for (const k of ['records', 'flows', 'items', 'data']) if (Array.isArray(o[k])) return o[k] as Record<string, unknown>[];
  }
  return [];
}

/** The records of one live SSE event: one record, an array, or {records: [...]}. */
export function liveRecordsOf(data: string): Record<string, unknown>[] {
  const j = JSON.parse(data) as unknown;
  if (j && typeof j === 'object' && !Array.isArray(j) && typeof (j as { uid?: unknown }).uid === 'string') return [j as Record<string, unknown>];
  return recordsOf(j);
}

/** One row of an aggregate answer: group key values plus metric values (and `t`, the bin start, when binned). */
export type AggRow = Record<string, unknown>;

export function aggRowsOf(body: unknown): AggRow[] {
  if (Array.isArray(body)) return body as AggRow[];
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    for (const k of ['rows', 'groups', 'buckets', 'data', 'items']) if (Array.isArray(o[k])) return o[k] as AggRow[];
  }
  return [];
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

export function pluginsOf(body: unknown): PluginView[] {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' ? ((body as { plugins?: unknown }).plugins ?? (body as { items?: unknown }).items) : [];
  if (!Array.isArray(list)) return [];
  return list.map((p: Record<string, unknown>) => ({
    id: String(p.id ?? ''),
    use: String(p.use ?? p.plugin ?? ''),
    kind: String(p.kind ?? ''),
    state: String(p.state ?? 'unknown'),
    inputs: (p.inputs as Record<string, string>) ?? {},
    outputs: (p.outputs as Record<string, string>) ?? {},
    error: typeof p.error === 'string' ? p.error : undefined,
    stats: (p.stats as Record<string, number | string>) ?? {},
  }));
}

/** Queue depth (embedded bus) or consumer lag (Kafka) of one topic for one consumer group. */
export interface TopicQueue {
  topic: string;
  group: string;
  depth: number;
  capacity?: number;
}

export function queuesOf(body: unknown): TopicQueue[] {
  if (!body || typeof body !== 'object') return [];
  const o = body as Record<string, unknown>;
  const list = o.topics ?? o.queues ?? o.bus;
  if (!Array.isArray(list)) return [];
  return list
    .filter((q): q is Record<string, unknown> => !!q && typeof q === 'object')
    .map((q) => ({
      topic: String(q.topic ?? q.name ?? ''),
      group: String(q.group ?? ''),
      depth: Number(q.depth ?? q.lag ?? 0),
      capacity: q.capacity === undefined || q.capacity === null ? undefined : Number(q.capacity),
    }));
}

/** A number out of a stats map (counters may be reported as strings). */
export function stat(stats: Record<string, number | string>, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = stats[n];
    if (v !== undefined && v !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}
