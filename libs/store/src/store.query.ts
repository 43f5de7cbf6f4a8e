/**
 * The SQL of the store's two queries, built from validated parts: column
 * names come only from the field catalogue, every value travels as a `?`
 * parameter, and the filter arrives already translated (filterToSql).
 */
import { FIELD_BY_NAME, SqlWhere } from '@panoptes/flow';
import { FLOWS, q, RECORDS } from './store.schema';
import { maskedAddrSql } from './addr.sql';

/** A WHERE fragment with its `?` parameters, as filterToSql returns it. */
export type { SqlWhere };

export interface TimeRange {
  /** Flows that end at or after this time (epoch seconds). */
  readonly from?: number;
  /** Flows that start before this time (epoch seconds). */
  readonly to?: number;
}

export interface ListQuery {
  readonly where?: SqlWhere;
  readonly range?: TimeRange;
  /** Catalogue fields to return; all when empty. */
  readonly fields?: readonly string[];
  readonly sort: { readonly field: string; readonly desc: boolean };
  readonly limit: number;
  /** The sort key of the last row of the previous page: [value, uid, seq]. */
  readonly after?: readonly unknown[];
  /** Raw records (one per uid and seq) instead of merged flows. */
  readonly records?: boolean;
  /**
   * Only rows whose sort value is at most this (ascending) or at least this
   * (descending): lets DuckDB skip row groups by their min/max (see listPage).
   */
  readonly bound?: number;
}

export interface Built {
  readonly sql: string;
  readonly params: (string | number | null)[];
}

function conditions(
  where: SqlWhere | undefined,
  range: TimeRange | undefined,
  params: (string | number | null)[],
): string[] {
  const out: string[] = [];
  if (where && where.sql !== 'TRUE') {
    out.push(`(${where.sql})`);
    params.push(...where.params);
  }
  if (range?.from !== undefined) {
    out.push('"ltime" >= ?');
    params.push(range.from);
  }
  if (range?.to !== undefined) {
    out.push('"stime" < ?');
    params.push(range.to);
  }
  return out;
}

const SORT_KEY = ['_k0', '_k1', '_k2'];

/**
 * A page of flows (or records) in a stable order: the sort field, then uid
 * (and seq for records) to break ties, NULLs last either way. The next page
 * starts strictly after the previous page's last key (keyset paging), so
 * rows added meanwhile neither repeat nor shift a page.
 */
export function listSql(query: ListQuery): Built {
  const params: (string | number | null)[] = [];
  const table = query.records ? RECORDS : FLOWS;
  const fields = query.fields?.length ? query.fields : [...FIELD_BY_NAME.keys()];
  for (const f of [...fields, query.sort.field])
    if (!FIELD_BY_NAME.has(f)) throw new Error(`store: unknown field ${f}`);
  const s = q(query.sort.field);
  const where = conditions(query.where, query.range, params);
  const dir = query.sort.desc ? 'DESC' : 'ASC';
  const cmp = query.sort.desc ? '<' : '>';
  const tie = query.records ? ['"uid"', '"seq"'] : ['"uid"'];
  if (query.after) {
    const [value, ...ties] = query.after;
    const tieSql = (i: number): string => {
      params.push(ties[i] as string | number);
      const here = `${tie[i]} ${cmp} ?`;
      if (i === tie.length - 1) return here;
      params.push(ties[i] as string | number);
      return `(${here} OR (${tie[i]} = ? AND ${tieSql(i + 1)}))`;
    };
    if (value === null || value === undefined) {
      where.push(`(${s} IS NULL AND ${tieSql(0)})`);
    } else {
      params.push(value as string | number, value as string | number);
      const after = `(${s} ${cmp} ? OR (${s} = ? AND ${tieSql(0)}) OR ${s} IS NULL)`;
      where.push(after);
    }
  }
  if (query.bound !== undefined) {
    where.push(`${s} ${query.sort.desc ? '>=' : '<='} ?`);
    params.push(query.bound);
  }
  const select = [...fields.map(q), `${s} AS _k0`, `"uid" AS _k1`, query.records ? `"seq" AS _k2` : `NULL AS _k2`];
  const order = [`${s} ${dir} NULLS LAST`, ...tie.map((t) => `${t} ${dir}`)];
  params.push(query.limit);
  return {
    sql:
      `SELECT ${select.join(', ')} FROM ${table}` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY ${order.join(', ')} LIMIT ?`,
    params,
  };
}

/** Removes the sort-key columns from a row, returning [row without them, key]. */
export function splitSortKey(row: Record<string, unknown>): [Record<string, unknown>, unknown[]] {
  const key = SORT_KEY.map((k) => row[k]);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!SORT_KEY.includes(k) && v !== null && v !== undefined) out[k] = v;
  return [out, key];
}

export type MetricName = string;

/** Metrics over the merged flows (or records): sums of counters, and count. */
export const METRICS: Readonly<Record<string, string>> = {
  count: 'count(*)',
  bytes: 'sum(coalesce("sbytes", 0) + coalesce("dbytes", 0))',
  pkts: 'sum(coalesce("spkts", 0) + coalesce("dpkts", 0))',
  appbytes: 'sum(coalesce("sappbytes", 0) + coalesce("dappbytes", 0))',
};

export function metricSql(name: string): string | undefined {
  if (METRICS[name]) return METRICS[name];
  const d = FIELD_BY_NAME.get(name);
  return d?.counter ? `coalesce(sum(${q(name)}), 0)` : undefined;
}

export interface GroupKey {
  readonly field: string;
  /** Prefix length to mask an address field to (IPv4 and IPv6 alike, clamped to 32 for IPv4). */
  readonly bits?: number;
  /** How the key is named in results: `saddr/24`. */
  readonly name: string;
}

export interface AggregateQuery {
  readonly by: readonly GroupKey[];
  readonly metrics: readonly string[];
  readonly top: number;
  /** Time series bucket width in seconds (by stime); totals only when absent. */
  readonly bin?: number;
  readonly where?: SqlWhere;
  readonly range?: TimeRange;
  readonly records?: boolean;
  /** Most (group, bucket) rows a time series may return; the query asks for one more to tell. */
  readonly maxPoints: number;
}

/**
 * Group-by and top-N. Rows are first grouped by the raw key columns (cheap
 * on DuckDB's hash aggregate), then masked keys (saddr/24) are computed once
 * per distinct address and grouped again: sums and counts add up, so the
 * two levels give the same totals as one. The top N groups are ranked by
 * the first metric; with a bin, the series of those N groups is returned
 * (their totals are the sums of their buckets).
 */
export function aggregateSql(query: AggregateQuery): Built {
  const params: (string | number | null)[] = [];
  const table = query.records ? RECORDS : FLOWS;
  for (const k of query.by) if (!FIELD_BY_NAME.has(k.field)) throw new Error(`store: unknown field ${k.field}`);
  const metrics = query.metrics.map((m, i) => {
    const sql = metricSql(m);
    if (!sql) throw new Error(`store: unknown metric ${m}`);
    return `${sql} AS _m${i}`;
  });
  const where = conditions(query.where, query.range, params);
  const keys = query.by.map((k, i) => `${q(k.field)} AS _g${i}`);
  const bin = query.bin ? `floor("stime" / ${Number(query.bin)}) * ${Number(query.bin)} AS _t` : undefined;
  const rawCols = [...keys, ...(bin ? [bin] : [])];
  const base =
    `SELECT ${[...rawCols, ...metrics].join(', ')} FROM ${table}` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    (rawCols.length ? ` GROUP BY ${rawCols.map((_, i) => i + 1).join(', ')}` : '');
  const masked = query.by.some((k) => k.bits !== undefined);
  const g = query.by.map((_, i) => `_g${i}`);
  const m = query.metrics.map((_, i) => `_m${i}`);
  const keyExpr = query.by.map((k, i) =>
    k.bits !== undefined ? `${maskedAddrSql(`_g${i}`, k.bits)} AS _g${i}` : `_g${i}`,
  );
  const keyed = masked
    ? `SELECT ${[...keyExpr, ...(bin ? ['_t'] : []), ...m].join(', ')} FROM base`
    : 'SELECT * FROM base';
  const sums = m.map((x) => `sum(${x}) AS ${x}`);
  const rank = `${m[0]} DESC${g.length ? ', ' + g.map((x) => `${x} ASC NULLS LAST`).join(', ') : ''}`;
  const tot = `SELECT ${[...g, ...sums].join(', ')} FROM keyed${g.length ? ` GROUP BY ${g.join(', ')}` : ''} ORDER BY ${rank} LIMIT ?`;
  params.push(query.top);
  if (!bin) {
    return { sql: `WITH base AS (${base}), keyed AS (${keyed}) ${tot}`, params };
  }
  const join = g.length ? ` JOIN tot ON ${g.map((x) => `keyed.${x} IS NOT DISTINCT FROM tot.${x}`).join(' AND ')}` : '';
  const series =
    `SELECT ${[...g.map((x) => `keyed.${x} AS ${x}`), '_t', ...m.map((x) => `sum(keyed.${x}) AS ${x}`)].join(', ')} ` +
    `FROM keyed${join} GROUP BY ${[...g.map((x) => `keyed.${x}`), '_t'].join(', ')} ORDER BY _t LIMIT ?`;
  params.push(query.maxPoints + 1);
  return { sql: `WITH base AS (${base}), keyed AS (${keyed}), tot AS (${tot}) ${series}`, params };
}
