import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { FieldDef, FIELDS } from '../flow.catalogue';
import { filterToSql, parseFilter } from './filter';
import { MATCH_CASES } from './filter.cases';
import { FILTER_RECORDS } from './filter.fixtures';

const SQL_TYPE: Record<string, string> = {
  time: 'DOUBLE',
  float: 'DOUBLE',
  int: 'BIGINT',
  string: 'VARCHAR',
  addr: 'VARCHAR',
};

describe('filterToSql', () => {
  let db: DuckDBInstance;
  let conn: DuckDBConnection;

  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
    const defs = FIELDS as readonly FieldDef[];
    await conn.run(
      `CREATE TABLE flows (letter VARCHAR, ${defs.map((d) => `"${d.name}" ${SQL_TYPE[d.type]}`).join(', ')})`,
    );
    const insert = `INSERT INTO flows VALUES (?, ${defs.map(() => '?').join(', ')})`;
    for (const [letter, r] of Object.entries(FILTER_RECORDS)) {
      const row = r as unknown as Record<string, unknown>;
      await conn.run(insert, [letter, ...defs.map((d) => (row[d.name] ?? null) as string | number | null)]);
    }
  });

  afterAll(() => {
    conn?.closeSync();
  });

  // The same table as the JavaScript predicate: the two translations cannot drift apart.
  it.each(MATCH_CASES)('%j selects %j', async (expr, expected) => {
    const { sql, params } = filterToSql(parseFilter(expr));
    const reader = await conn.runAndReadAll(`SELECT letter FROM flows WHERE ${sql} ORDER BY letter`, params);
    expect(
      reader
        .getRows()
        .map((row) => row[0])
        .join(''),
    ).toBe(expected);
  });

  it('carries every value as a parameter, never in the SQL text', () => {
    const { sql, params } = filterToSql(parseFilter(`dname eq "x'; DROP TABLE flows; --" or host 10.9.8.7`));
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('10.9.8.7');
    expect(params).toEqual(["x'; DROP TABLE flows; --", '10.9.8.7', '10.9.8.7']);
  });

  it('refuses a hand-built tree naming an unknown field', () => {
    expect(() => filterToSql({ type: 'cmp', field: 'x"; DROP', op: 'eq', value: 1 })).toThrow('unknown field');
  });
});
