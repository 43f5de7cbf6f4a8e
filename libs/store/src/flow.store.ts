import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { FIELDS, FieldDef, FlowRecord } from '@panoptes/flow';
import { addTotals, KeyTotals, TOTAL_KEYS, TotalKey, TotalsRow, totalsSql } from './store.totals';
import {
  combineSql,
  FIELD_LIST,
  FLOWS,
  FLOWS_ACTIVE,
  FLOWS_FINAL,
  mergeRecordsSql,
  migrationStatements,
  RECORDS,
  schemaStatements,
  viewStatement,
} from './store.schema';

export interface FlowStoreOptions {
  /** DuckDB worker threads (default: DuckDB's, one per core). */
  readonly threads?: number;
  /** DuckDB memory limit in MiB (default: DuckDB's, 80% of RAM). */
  readonly memoryLimitMb?: number;
  /** Connections that serve queries concurrently. */
  readonly readers?: number;
}

export interface AppendResult {
  /** Records stored by this append. */
  readonly inserted: number;
  /** Records already stored (same uid and seq), or repeated in the batch: skipped. */
  readonly duplicates: number;
  /** Records refused for lacking a uid, seq or times. */
  readonly invalid: number;
}

export interface RetentionPolicy {
  /** Delete what was stored more than this many days ago; 0 keeps everything. */
  readonly maxAgeDays?: number;
  /** Delete the oldest stored data while the database uses more than this; 0 no limit. */
  readonly maxBytes?: number;
}

export interface StoreCounts {
  readonly records: number;
  readonly flows: number;
  readonly activeFlows: number;
  /** Bytes of the database blocks in use. */
  readonly usedBytes: number;
}

type Row = Record<string, unknown>;
const FIELD_DEFS = FIELDS as readonly FieldDef[];

/**
 * The embedded flow store: one DuckDB database file, appended to by
 * sink-store and read by the REST API. One instance per file per process
 * (see acquireFlowStore). Writes go through one connection, one at a time;
 * queries use a small pool of reader connections and see committed data.
 *
 * Emits 'records' with the records each append stored (duplicates left out),
 * for live feeds.
 */
export class FlowStore extends EventEmitter {
  private writer!: DuckDBConnection;
  private readonly readers: DuckDBConnection[] = [];
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private lastBatch = 0;
  private usedAfterTrim?: number;
  private readonly stagingTables = new Map<string, string>();
  private stagingSeq = 0;
  private closed = false;
  appended = 0;
  duplicates = 0;
  /** Running per-address totals (see store.totals.ts). */
  private readonly totals = new Map<TotalKey, KeyTotals>(TOTAL_KEYS.map((k) => [k, new KeyTotals()]));

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Opens (creating when missing) a store file; ':memory:' for a throwaway one. */
  static async open(path: string, options: FlowStoreOptions = {}): Promise<FlowStore> {
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
    const config: Record<string, string> = {};
    if (options.threads) config.threads = String(options.threads);
    if (options.memoryLimitMb) config.memory_limit = `${options.memoryLimitMb}MB`;
    let instance: DuckDBInstance;
    try {
      // Loaded on first open: a process that never opens a store (a Kafka role) never loads DuckDB.
      const { DuckDBInstance } = await import('@duckdb/node-api');
      instance = await DuckDBInstance.create(path, config);
    } catch (err) {
      throw new Error(`cannot open flow store ${path}: ${(err as Error).message}`);
    }
    const store = new FlowStore(path, instance);
    await store.init(Math.max(1, options.readers ?? 4));
    return store;
  }

  private async init(readers: number): Promise<void> {
    this.writer = await this.instance.connect();
    for (const sql of schemaStatements()) await this.writer.run(sql);
    for (const table of [RECORDS, FLOWS_FINAL, FLOWS_ACTIVE]) {
      const cols = await this.rows(this.writer, `SELECT column_name FROM duckdb_columns() WHERE table_name = ?`, [
        table,
      ]);
      for (const sql of migrationStatements(table, new Set(cols.map((c) => String(c.column_name)))))
        await this.writer.run(sql);
    }
    await this.writer.run(viewStatement());
    const last = await this.rows(this.writer, `SELECT max(_batch) AS b FROM ${RECORDS}`);
    this.lastBatch = Number(last[0]?.b ?? 0);
    for (let i = 0; i < readers; i++) {
      const c = await this.instance.connect();
      this.readers.push(c);
      this.idle.push(c);
    }
    await this.rebuildTotals(this.writer);
  }

  /** Recomputes the per-address totals from the tables (at open and after retention). */
  private async rebuildTotals(c: DuckDBConnection): Promise<void> {
    const flows = await this.rows(c, totalsSql(FLOWS, 'count(*)'));
    const records = await this.rows(c, totalsSql(RECORDS, 'count(*)'));
    for (const t of this.totals.values()) t.clear();
    addTotals(this.totals, 'flows', flows);
    addTotals(this.totals, 'records', records);
  }

  /**
   * Top N addresses over everything stored, from the running totals; undefined
   * when they cannot answer (a metric they do not keep, or dropped totals).
   */
  topTotals(key: string, metrics: readonly string[], n: number, records: boolean): TotalsRow[] | undefined {
    const t = this.totals.get(key as TotalKey);
    if (!t || !t.valid || !KeyTotals.canAnswer(metrics)) return undefined;
    return t.top(metrics, n, records);
  }

  /**
   * Stores a batch: skips records already stored (same uid and seq), appends
   * the rest to `records` and merges them into their flows, in one
   * transaction. Appends are serialised; each resolves once committed.
   */
  append(records: readonly unknown[]): Promise<AppendResult> {
    const run = this.writes.then(() => this.appendNow(records));
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async appendNow(input: readonly unknown[]): Promise<AppendResult> {
    this.assertOpen();
    const records: FlowRecord[] = [];
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of input) {
      if (!isStorable(r)) continue;
      records.push(r);
      if (r.stime < lo) lo = r.stime;
      if (r.stime > hi) hi = r.stime;
    }
    const invalid = input.length - records.length;
    if (records.length === 0) return { inserted: 0, duplicates: 0, invalid };
    const w = this.writer;
    const cols = presentColumns(records);
    const staging = await this.staging(cols);
    const appender = await w.createAppender(staging, 'main', 'temp');
    try {
      appendRows(appender, records, cols);
    } finally {
      appender.closeSync();
    }
    const batch = this.nextBatch();
    // Whether some record continues a flow or is continued: only then do flows need merging.
    const continued = records.some((r) => r.seq !== 0 || r.rtype !== 'final');
    const fresh = `(SELECT * FROM ${RECORDS} WHERE _batch = ${batch})`;
    try {
      await w.run('BEGIN TRANSACTION');
      // Only records not stored yet: a stored copy has the same stime, so the
      // zone maps on stime keep this probe to the row groups of that time.
      await w.run(
        `INSERT INTO ${RECORDS} SELECT ${stagedFields(cols)}, ${batch}::BIGINT FROM (SELECT DISTINCT ON ("uid", "seq") * FROM ${staging}) s ` +
          `WHERE NOT EXISTS (SELECT 1 FROM ${RECORDS} r WHERE r."stime" BETWEEN ? AND ? AND r."uid" = s."uid" AND r."seq" = s."seq")`,
        [lo, hi],
      );
      // New flows: every fresh record when none continues a flow, else those merged without an earlier row.
      let newFlows = 'count(*)';
      if (!continued) {
        await w.run(`INSERT INTO ${FLOWS_FINAL} SELECT ${FIELD_LIST}, 1, _batch FROM ${fresh}`);
      } else {
        await this.mergeFresh(w, batch, fresh, new Set(cols.map((i) => FIELD_DEFS[i].name)));
        newFlows = 'count(DISTINCT "uid") FILTER (WHERE "uid" IN (SELECT "uid" FROM _newflows))';
      }
      const sums = await this.rows(w, totalsSql(fresh, 'count(*)', newFlows));
      await w.run('COMMIT');
      addTotals(this.totals, 'records', sums, 'n');
      addTotals(this.totals, 'flows', sums, 'nf');
      const inserted = sums.filter((r) => r[`g_${TOTAL_KEYS[0]}`] === 0).reduce((a, r) => a + Number(r.n), 0);
      const duplicates = records.length - inserted;
      this.appended += inserted;
      this.duplicates += duplicates;
      if (inserted > 0 && this.listenerCount('records') > 0) {
        this.emit('records', duplicates === 0 ? records : await this.freshOf(w, records, fresh));
      }
      return { inserted, duplicates, invalid };
    } catch (err) {
      await w.run('ROLLBACK').catch(() => undefined);
      throw new Error(`cannot store ${records.length} records in ${this.path}: ${(err as Error).message}`);
    } finally {
      await w.run(`DELETE FROM ${staging}`).catch(() => undefined);
    }
  }

  /**
   * Merges the fresh records of flows with status records into their flow
   * rows; the records that are a whole flow (seq 0, final, alone) become
   * flow rows as they are.
   */
  private async mergeFresh(
    w: DuckDBConnection,
    batch: number,
    fresh: string,
    present: ReadonlySet<string>,
  ): Promise<void> {
    await w.run(`CREATE OR REPLACE TEMP TABLE _fresh AS SELECT * FROM ${fresh}`);
    const merging = `SELECT "uid" FROM _fresh WHERE ${CONTINUED}`;
    await w.run(
      `INSERT INTO ${FLOWS_FINAL} SELECT ${FIELD_LIST}, 1, ${batch}::BIGINT FROM _fresh WHERE "uid" NOT IN (${merging})`,
    );
    await w.run(
      `CREATE OR REPLACE TEMP TABLE _agg AS ${mergeRecordsSql(`(SELECT * FROM _fresh WHERE "uid" IN (${merging}))`, present)}`,
    );
    // Earlier rows of these flows: the active one, or (rare: a record that
    // continues a flow already finished, or arrives after it) the final one.
    await w.run(
      `CREATE OR REPLACE TEMP TABLE _prev AS SELECT * FROM ${FLOWS_ACTIVE} WHERE "uid" IN (SELECT "uid" FROM _agg)`,
    );
    const lateUids = `SELECT "uid" FROM _agg WHERE _minseq > 0 AND "uid" NOT IN (SELECT "uid" FROM _prev)`;
    const [late] = await this.rows(w, `SELECT count(*) AS n FROM (${lateUids})`);
    if (Number(late.n) > 0) {
      await w.run(`CREATE OR REPLACE TEMP TABLE _late AS SELECT * FROM ${FLOWS_FINAL} WHERE "uid" IN (${lateUids})`);
      await w.run(`DELETE FROM ${FLOWS_FINAL} WHERE "uid" IN (SELECT "uid" FROM _late)`);
      await w.run(`INSERT INTO _prev SELECT * FROM _late`);
    }
    await w.run(
      `CREATE OR REPLACE TEMP TABLE _newflows AS SELECT "uid" FROM _fresh WHERE "uid" NOT IN (${merging}) ` +
        `UNION ALL SELECT "uid" FROM _agg WHERE "uid" NOT IN (SELECT "uid" FROM _prev)`,
    );
    await w.run(`DELETE FROM ${FLOWS_ACTIVE} WHERE "uid" IN (SELECT "uid" FROM _prev)`);
    await w.run(
      `CREATE OR REPLACE TEMP TABLE _merged AS SELECT ${combineSql(String(batch))} FROM _agg n LEFT JOIN _prev p ON p."uid" = n."uid"`,
    );
    await w.run(`INSERT INTO ${FLOWS_FINAL} SELECT ${FIELD_LIST}, _nrec, _batch FROM _merged WHERE "rtype" = 'final'`);
    await w.run(
      `INSERT INTO ${FLOWS_ACTIVE} SELECT ${FIELD_LIST}, _nrec, _batch FROM _merged WHERE "rtype" IS DISTINCT FROM 'final'`,
    );
  }

  private async freshOf(w: DuckDBConnection, records: FlowRecord[], fresh: string): Promise<FlowRecord[]> {
    const keys = new Set(
      (await this.rows(w, `SELECT "uid", "seq" FROM ${fresh}`)).map((k) => `${k.uid}\u0000${k.seq}`),
    );
    const out: FlowRecord[] = [];
    for (const r of records) {
      const k = `${r.uid}\u0000${r.seq}`;
      if (keys.delete(k)) out.push(r);
    }
    return out;
  }

  /**
   * A temp table with only the columns a batch has values for: appending a
   * NULL costs a native call like any value, and most catalogue fields are
   * empty on most records. Batches of one source have one or two shapes.
   */
  private async staging(cols: readonly number[]): Promise<string> {
    const key = cols.join(',');
    let name = this.stagingTables.get(key);
    if (!name) {
      if (this.stagingTables.size >= 32) {
        for (const old of this.stagingTables.values()) await this.writer.run(`DROP TABLE IF EXISTS ${old}`);
        this.stagingTables.clear();
      }
      name = `_staging_${++this.stagingSeq}`;
      const defs = cols.map((i) => `"${FIELD_DEFS[i].name}" ${isText(FIELD_DEFS[i]) ? 'VARCHAR' : 'DOUBLE'}`);
      await this.writer.run(`CREATE OR REPLACE TEMP TABLE ${name} (${defs.join(', ')})`);
      this.stagingTables.set(key, name);
    }
    return name;
  }

  /** The storage time of a new append, in microseconds, strictly increasing. */
  private nextBatch(): number {
    this.lastBatch = Math.max(this.lastBatch + 1, Date.now() * 1000);
    return this.lastBatch;
  }

  /** Deletes by storage age and by size; returns the records deleted. */
  applyRetention(policy: RetentionPolicy): Promise<number> {
    const run = this.writes.then(() => this.retainNow(policy));
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async retainNow(policy: RetentionPolicy): Promise<number> {
    this.assertOpen();
    let deleted = 0;
    if (policy.maxAgeDays && policy.maxAgeDays > 0) {
      deleted += await this.deleteBefore(Math.floor((Date.now() - policy.maxAgeDays * 86_400_000) * 1000));
    }
    if (policy.maxBytes && policy.maxBytes > 0) {
      const used = await this.usedBytes(this.writer);
      // Deleted rows give their blocks back at a checkpoint, and only whole
      // row groups do: when the last deletion freed nothing and nothing was
      // added since, deleting again would only eat into the data.
      if (used > policy.maxBytes && used > (this.usedAfterTrim ?? 0)) {
        const share = Math.min(1, 1 - (policy.maxBytes * 0.9) / used);
        const cut = await this.rows(this.writer, `SELECT quantile_disc(_batch, ?) AS b FROM ${RECORDS}`, [share]);
        if (cut[0]?.b !== null && cut[0]?.b !== undefined) {
          deleted += await this.deleteBefore(Number(cut[0].b) + 1);
          await this.writer.run('CHECKPOINT');
          this.usedAfterTrim = await this.usedBytes(this.writer);
        }
      }
    }
    if (deleted > 0) await this.rebuildTotals(this.writer);
    return deleted;
  }

  private async deleteBefore(batch: number): Promise<number> {
    const w = this.writer;
    await w.run('BEGIN TRANSACTION');
    try {
      const [{ n }] = await this.rows(w, `SELECT count(*) AS n FROM ${RECORDS} WHERE _batch < ?`, [batch]);
      await w.run(`DELETE FROM ${RECORDS} WHERE _batch < ?`, [batch]);
      await w.run(`DELETE FROM ${FLOWS_FINAL} WHERE _batch < ?`, [batch]);
      await w.run(`DELETE FROM ${FLOWS_ACTIVE} WHERE _batch < ?`, [batch]);
      await w.run('COMMIT');
      return Number(n);
    } catch (err) {
      await w.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async usedBytes(c: DuckDBConnection): Promise<number> {
    const r = await this.rows(
      c,
      'SELECT block_size, total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = current_database()',
    );
    if (!r[0]) return 0;
    return Number(r[0].block_size) * (Number(r[0].total_blocks) - Number(r[0].free_blocks));
  }

  async counts(): Promise<StoreCounts> {
    return this.withReader(async (c) => {
      const [r] = await this.rows(
        c,
        `SELECT (SELECT count(*) FROM ${RECORDS}) AS records, (SELECT count(*) FROM ${FLOWS_FINAL}) AS final, ` +
          `(SELECT count(*) FROM ${FLOWS_ACTIVE}) AS active`,
      );
      return {
        records: Number(r.records),
        flows: Number(r.final) + Number(r.active),
        activeFlows: Number(r.active),
        usedBytes: await this.usedBytes(c),
      };
    });
  }

  /** Runs a read-only query on a pooled connection; BIGINTs come back as numbers. */
  query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.withReader((c) => this.rows(c, sql, params));
  }

  /** Runs statements on the write connection, after pending appends (bulk loads, maintenance). */
  exclusive<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.writes.then(() => {
      this.assertOpen();
      return fn(this.writer);
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async withReader<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    this.assertOpen();
    const c = this.idle.pop() ?? (await new Promise<DuckDBConnection>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn(c);
    } finally {
      const next = this.waiting.shift();
      if (next) next(c);
      else this.idle.push(c);
    }
  }

  private async rows(c: DuckDBConnection, sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const reader = await c.runAndReadAll(sql, params.length ? (params as DuckDBValue[]) : undefined);
    const names = reader.columnNames();
    return reader.getRowsJS().map((row) => {
      const o: Row = {};
      for (let i = 0; i < names.length; i++) {
        const v = row[i];
        o[names[i]] = typeof v === 'bigint' ? Number(v) : v;
      }
      return o;
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`flow store ${this.path} is closed`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writes;
    this.closed = true;
    for (const c of this.readers) c.closeSync();
    try {
      await this.writer.run('CHECKPOINT');
    } finally {
      this.writer.closeSync();
      this.instance.closeSync();
      this.removeAllListeners();
    }
  }
}

/** A record the store can key and place in time; the sink dead-letters the others. */
export function isStorable(r: unknown): r is FlowRecord {
  const o = r as Partial<FlowRecord> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.uid === 'string' &&
    o.uid.length > 0 &&
    Number.isInteger(o.seq) &&
    typeof o.stime === 'number' &&
    Number.isFinite(o.stime) &&
    typeof o.ltime === 'number' &&
    Number.isFinite(o.ltime)
  );
}

/** A record that is not a whole flow by itself: it continues one, or more follow. */
const CONTINUED = `("seq" > 0 OR "rtype" IS DISTINCT FROM 'final')`;

const isText = (d: FieldDef): boolean => d.type === 'string' || d.type === 'addr';

/** Every catalogue column from a staging table that has only `cols`: NULL for the others. */
function stagedFields(cols: readonly number[]): string {
  const have = new Set(cols);
  return FIELD_DEFS.map((d, i) =>
    have.has(i) ? `"${d.name}"` : `NULL::${isText(d) ? 'VARCHAR' : 'DOUBLE'} AS "${d.name}"`,
  ).join(', ');
}

/** Appends the given columns of each record (the staging table's), by field index. */
function appendRows(a: DuckDBAppender, records: readonly FlowRecord[], cols: readonly number[]): void {
  const names = cols.map((i) => FIELD_DEFS[i].name);
  const text = cols.map((i) => FIELD_DEFS[i].type === 'string' || FIELD_DEFS[i].type === 'addr');
  const n = cols.length;
  for (const r of records) {
    const o = r as unknown as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      const v = o[names[i]];
      if (v === undefined || v === null) a.appendNull();
      else if (text[i]) a.appendVarchar(typeof v === 'string' ? v : String(v));
      else if (typeof v === 'number' && Number.isFinite(v)) a.appendDouble(v);
      else a.appendNull();
    }
    a.endRow();
  }
}

/** Indexes of the catalogue fields some record of the batch has a value for. */
function presentColumns(records: readonly FlowRecord[]): number[] {
  const seen = new Set<string>();
  for (const r of records) {
    for (const k in r) if ((r as unknown as Record<string, unknown>)[k] !== null) seen.add(k);
  }
  const out: number[] = [];
  FIELD_DEFS.forEach((d, i) => seen.has(d.name) && out.push(i));
  return out;
}
