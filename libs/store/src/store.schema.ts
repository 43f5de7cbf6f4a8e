/**
 * The store's tables, generated from the field catalogue:
 *
 * - `records`: every record as the sensor wrote it (counters are deltas),
 *   once per (uid, seq). Append-only except for retention.
 * - `flows_final`: one merged row per flow whose final record was stored:
 *   counters summed over its records, stime the earliest, ltime the latest,
 *   every other field from its latest record. Append-only.
 * - `flows_active`: the same merged rows for flows still active (only status
 *   records seen so far). Small: only the flows in the sensor's flow table.
 * - the view `flows`: the two merged tables together, one row per flow.
 *
 * Splitting finished from active flows keeps the big table append-only: a
 * status record only ever rewrites a row of the small table, so no index is
 * needed on uid (an ART index over millions of random uids made appends 20
 * times slower and took gigabytes).
 *
 * Hidden columns start with an underscore: `_batch` is the storage time in
 * microseconds (unique per append, increasing: zone maps find one batch's
 * rows cheaply, and retention by age reads it), `_nrec` the number of
 * records merged into a flow row.
 */
import { COUNTER_FIELDS, FIELDS, FieldDef, FieldType } from '@panoptes/flow';

export const RECORDS = 'records';
export const FLOWS_FINAL = 'flows_final';
export const FLOWS_ACTIVE = 'flows_active';
export const FLOWS = 'flows';

export const SQL_TYPES: Record<FieldType, 'DOUBLE' | 'BIGINT' | 'VARCHAR'> = {
  time: 'DOUBLE',
  int: 'BIGINT',
  float: 'DOUBLE',
  string: 'VARCHAR',
  addr: 'VARCHAR',
};

const FIELD_DEFS = FIELDS as readonly FieldDef[];
const COUNTERS = new Set<string>(COUNTER_FIELDS);

/** A catalogue field name as a quoted SQL identifier. */
export const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export const FIELD_COLUMNS: readonly string[] = FIELD_DEFS.map((d) => d.name);
const fieldList = FIELD_COLUMNS.map(q).join(', ');

function columnsDdl(): string {
  return FIELD_DEFS.map((d) => `${q(d.name)} ${SQL_TYPES[d.type]}`).join(', ');
}

/** DDL that creates whatever is missing (idempotent). */
export function schemaStatements(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${RECORDS} (${columnsDdl()}, _batch BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${FLOWS_FINAL} (${columnsDdl()}, _nrec BIGINT NOT NULL, _batch BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${FLOWS_ACTIVE} (${columnsDdl()}, _nrec BIGINT NOT NULL, _batch BIGINT NOT NULL)`,
  ];
}

/** The view is recreated on every open so it follows the tables' columns. */
export function viewStatement(): string {
  return (
    `CREATE OR REPLACE VIEW ${FLOWS} AS ` +
    `SELECT * FROM ${FLOWS_FINAL} UNION ALL BY NAME SELECT * FROM ${FLOWS_ACTIVE}`
  );
}

/** ALTER statements adding catalogue fields a table made by an older version lacks. */
export function migrationStatements(table: string, existing: ReadonlySet<string>): string[] {
  return FIELD_DEFS.filter((d) => !existing.has(d.name)).map(
    (d) => `ALTER TABLE ${table} ADD COLUMN ${q(d.name)} ${SQL_TYPES[d.type]}`,
  );
}

/**
 * Merges records grouped by uid (from a relation with the catalogue columns)
 * into one row per uid with the merged-row columns, plus `_minseq`. Fields
 * outside `present` (when given) are known to be NULL in every record and
 * stay NULL without an aggregate each (most of the catalogue, most of the time).
 */
export function mergeRecordsSql(from: string, present?: ReadonlySet<string>): string {
  const cols = FIELD_DEFS.map((d) => {
    const c = q(d.name);
    if (d.name === 'uid') return c;
    if (present && !present.has(d.name) && d.required !== true) return `NULL::${SQL_TYPES[d.type]} AS ${c}`;
    if (COUNTERS.has(d.name)) return `sum(${c}) AS ${c}`;
    if (d.name === 'stime') return `min(${c}) AS ${c}`;
    if (d.name === 'ltime') return `max(${c}) AS ${c}`;
    if (d.name === 'dur') return `round(max("ltime") - min("stime"), 6) AS ${c}`;
    if (d.name === 'seq') return `max(${c}) AS ${c}`;
    // The latest record's value; an older one when the latest has none.
    return `arg_max(${c}, "seq") FILTER (WHERE ${c} IS NOT NULL) AS ${c}`;
  });
  return `SELECT ${cols.join(', ')}, count(*)::BIGINT AS _nrec, min("seq") AS _minseq FROM ${from} GROUP BY "uid"`;
}

/**
 * Combines new merged rows `n` with the earlier merged row `p` of the same
 * flow (absent when p.uid is NULL): the result has the merged-row columns.
 */
export function combineSql(batch: string): string {
  const newer = `(p."uid" IS NULL OR n."seq" >= p."seq")`;
  const cols = FIELD_DEFS.map((d) => {
    const c = q(d.name);
    if (d.name === 'uid') return `n.${c}`;
    if (COUNTERS.has(d.name))
      return `CASE WHEN p."uid" IS NULL THEN n.${c} ELSE coalesce(p.${c}, 0) + coalesce(n.${c}, 0) END AS ${c}`;
    if (d.name === 'stime') return `least(n.${c}, p.${c}) AS ${c}`;
    if (d.name === 'ltime') return `greatest(n.${c}, p.${c}) AS ${c}`;
    if (d.name === 'dur') return `round(greatest(n."ltime", p."ltime") - least(n."stime", p."stime"), 6) AS ${c}`;
    if (d.name === 'seq') return `greatest(n.${c}, p.${c}) AS ${c}`;
    return `CASE WHEN ${newer} THEN coalesce(n.${c}, p.${c}) ELSE coalesce(p.${c}, n.${c}) END AS ${c}`;
  });
  return `${cols.join(', ')}, n._nrec + coalesce(p._nrec, 0) AS _nrec, ${batch}::BIGINT AS _batch`;
}

export const FIELD_LIST = fieldList;
