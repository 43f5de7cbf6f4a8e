import { FlowStore } from './flow.store';
import { listSql, ListQuery } from './store.query';
import { FLOWS_ACTIVE, FLOWS_FINAL, q, RECORDS } from './store.schema';

/** Sort fields the rows are stored roughly in order of, so a bound on them skips most row groups. */
const TIME_ORDERED = new Set(['stime', 'ltime']);
const ATTEMPTS = 4;

/**
 * One page of listSql. DuckDB evaluates a filtered ORDER BY ... LIMIT by
 * scanning every row that passes the filter; rows are stored in about time
 * order, so for a time sort the page is first sought in a narrow time window
 * next to where it starts (a bound DuckDB prunes row groups with), widened
 * eightfold until it holds a full page. A full page found inside a window is
 * exactly the page: every row outside sorts after it. Otherwise (or for
 * other sort fields) the plain query runs.
 */
export async function listPage(store: FlowStore, query: ListQuery): Promise<Record<string, unknown>[]> {
  const field = query.sort.field;
  if (TIME_ORDERED.has(field)) {
    // Per table: DuckDB answers min and max of a table from its statistics, but not through the view.
    const tables = query.records ? [RECORDS] : [FLOWS_FINAL, FLOWS_ACTIVE];
    const c = q(field);
    const [r] = await store.query(
      `SELECT ${tables.map((t, i) => `(SELECT min(${c}) FROM ${t}) AS lo${i}, (SELECT max(${c}) FROM ${t}) AS hi${i}`).join(', ')}`,
    );
    const nums = (prefix: string) =>
      tables.map((_, i) => r[`${prefix}${i}`]).filter((v): v is number => typeof v === 'number');
    const lo = nums('lo').length ? Math.min(...nums('lo')) : undefined;
    const hi = nums('hi').length ? Math.max(...nums('hi')) : undefined;
    if (lo !== undefined && hi !== undefined && hi > lo) {
      const after = query.after?.[0];
      const start = typeof after === 'number' ? after : query.sort.desc ? hi : lo;
      let span = (hi - lo) / 256;
      for (let i = 0; i < ATTEMPTS; i++, span *= 8) {
        const bound = query.sort.desc ? start - span : start + span;
        if (query.sort.desc ? bound <= lo : bound >= hi) break;
        const built = listSql({ ...query, bound });
        const rows = await store.query(built.sql, built.params);
        if (rows.length >= query.limit) return rows;
      }
    }
  }
  const built = listSql(query);
  return store.query(built.sql, built.params);
}
