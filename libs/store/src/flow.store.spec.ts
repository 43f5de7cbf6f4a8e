import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowRecord } from '@panoptes/flow';
import { FlowStore } from './flow.store';
import { aggregateSql, listSql, splitSortKey } from './store.query';
import { listPage } from './store.list';
import { formatAddrKey } from './addr.sql';
import { acquireFlowStore } from './store.registry';

function rec(uid: string, seq: number, extra: Partial<FlowRecord> = {}): FlowRecord {
  return {
    uid,
    seq,
    rtype: 'final',
    sid: 's1',
    stime: 1700000000 + seq * 10,
    ltime: 1700000000 + seq * 10 + 5,
    dur: 5,
    proto: 'tcp',
    saddr: '10.0.0.1',
    sport: 40000,
    dir: '->',
    daddr: '192.0.2.1',
    dport: 443,
    spkts: 2,
    dpkts: 3,
    sbytes: 200,
    dbytes: 300,
    ...extra,
  } as FlowRecord;
}

describe('FlowStore', () => {
  let store: FlowStore;
  beforeEach(async () => {
    store = await FlowStore.open(':memory:', { threads: 1, readers: 2 });
  });
  afterEach(() => store.close());

  it('stores each (uid, seq) once, however often it is replayed', async () => {
    const batch = [rec('a', 0), rec('b', 0), rec('b', 0)];
    expect(await store.append(batch)).toEqual({ inserted: 2, duplicates: 1, invalid: 0 });
    expect(await store.append(batch)).toEqual({ inserted: 0, duplicates: 3, invalid: 0 });
    expect(await store.append([{ uid: 'x' }, null])).toEqual({ inserted: 0, duplicates: 0, invalid: 2 });
    const c = await store.counts();
    expect(c.records).toBe(2);
    expect(c.flows).toBe(2);
  });

  it("merges a flow's status records into one flow with summed counters and the latest fields", async () => {
    await store.append([rec('a', 0, { rtype: 'status', state: 'CON', sbytes: 100 })]);
    let rows = await store.query(`SELECT * FROM flows`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rtype: 'status', sbytes: 100, _nrec: 1 });
    await store.append([
      rec('a', 1, { rtype: 'status', state: 'CON', sbytes: 50, sttl: 64 }),
      rec('a', 2, { state: 'FIN', sbytes: 7 }),
    ]);
    // A replay of the first record changes nothing.
    await store.append([rec('a', 0, { rtype: 'status', state: 'CON', sbytes: 100 })]);
    rows = await store.query(`SELECT * FROM flows`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      uid: 'a',
      seq: 2,
      rtype: 'final',
      state: 'FIN',
      sbytes: 157,
      dbytes: 900,
      spkts: 6,
      sttl: 64,
      stime: 1700000000,
      ltime: 1700000025,
      dur: 25,
      _nrec: 3,
    });
    expect((await store.counts()).activeFlows).toBe(0);
    const raw = await store.query(`SELECT seq, sbytes FROM records ORDER BY seq`);
    expect(raw).toEqual([
      { seq: 0, sbytes: 100 },
      { seq: 1, sbytes: 50 },
      { seq: 2, sbytes: 7 },
    ]);
  });

  it('folds a record arriving after its flow finished into that flow', async () => {
    await store.append([rec('a', 0, { rtype: 'status', sbytes: 1 }), rec('a', 2, { sbytes: 4 })]);
    await store.append([rec('a', 1, { rtype: 'status', sbytes: 2, state: 'CON' })]);
    const rows = await store.query(`SELECT uid, seq, rtype, sbytes, _nrec FROM flows`);
    expect(rows).toEqual([{ uid: 'a', seq: 2, rtype: 'final', sbytes: 7, _nrec: 3 }]);
  });

  it('emits only the records an append stored', async () => {
    const seen: string[] = [];
    store.on('records', (rs: FlowRecord[]) => seen.push(...rs.map((r) => `${r.uid}/${r.seq}`)));
    await store.append([rec('a', 0)]);
    await store.append([rec('a', 0), rec('b', 0)]);
    expect(seen).toEqual(['a/0', 'b/0']);
  });

  it('deletes by storage age and by size', async () => {
    await store.append([rec('a', 0), rec('b', 0)]);
    expect(await store.applyRetention({ maxAgeDays: 1 })).toBe(0);
    await store.exclusive((c) => c.run(`UPDATE records SET _batch = _batch - 2 * 86400000000 WHERE uid = 'a'`));
    await store.exclusive((c) => c.run(`UPDATE flows_final SET _batch = _batch - 2 * 86400000000 WHERE uid = 'a'`));
    expect(await store.applyRetention({ maxAgeDays: 1 })).toBe(1);
    expect(await store.query(`SELECT uid FROM flows`)).toEqual([{ uid: 'b' }]);
  });

  it('deletes the oldest data while the file is over its size limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'store-'));
    const file = await FlowStore.open(join(dir, 'f.duckdb'), { threads: 1 });
    try {
      for (let b = 0; b < 4; b++) {
        await file.append(
          Array.from({ length: 60000 }, (_, i) => rec(`b${b}-${i}`, 0, { stime: 1700000000 + b * 100000 + i })),
        );
      }
      await file.exclusive((c) => c.run('CHECKPOINT'));
      const before = await file.counts();
      expect(before.records).toBe(240000);
      const deleted = await file.applyRetention({ maxBytes: Math.floor(before.usedBytes / 2) });
      const after = await file.counts();
      expect(deleted).toBeGreaterThan(0);
      expect(after.records).toBe(240000 - deleted);
      expect(after.usedBytes).toBeLessThan(before.usedBytes * 0.75);
      expect(after.flows).toBe(after.records);
      // The oldest went first.
      const [{ m }] = await file.query('SELECT min(stime) AS m FROM records');
      expect(m as number).toBeGreaterThan(1700000000);
    } finally {
      await file.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pages with a stable keyset cursor, NULLs last', async () => {
    const recs = Array.from({ length: 25 }, (_, i) =>
      rec(`u${String(i).padStart(2, '0')}`, 0, { sport: i % 5 === 0 ? null : i % 3 }),
    );
    await store.append(recs);
    const seen: string[] = [];
    let after: unknown[] | undefined;
    for (let page = 0; page < 10; page++) {
      const b = listSql({ sort: { field: 'sport', desc: page % 2 === 5 }, limit: 4, after, fields: ['uid', 'sport'] });
      const rows = (await store.query(b.sql, b.params)).map(splitSortKey);
      if (rows.length === 0) break;
      seen.push(...rows.map(([r]) => r.uid as string));
      after = rows[rows.length - 1][1];
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    const sports = seen.map((u) => recs.find((r) => r.uid === u)!.sport);
    expect(sports.slice(-5)).toEqual([null, null, null, null, null]);
    expect(sports.slice(0, 20)).toEqual([...sports.slice(0, 20)].sort());
  });

  it('finds the same pages through time windows as without them, both directions', async () => {
    // Uneven density: a dense minute, then sparse hours.
    const recs = Array.from({ length: 3000 }, (_, i) =>
      rec(`w${i}`, 0, {
        stime: i < 2500 ? 1700000000 + i / 100 : 1700000000 + (i - 2500) * 60,
        ltime: 1700090000,
        proto: i % 3 ? 'tcp' : 'udp',
      }),
    );
    await store.append(recs);
    for (const desc of [false, true]) {
      const where = { sql: '"proto" = ?', params: ['udp'] };
      const pages = async (windowed: boolean) => {
        const out: string[] = [];
        let after: unknown[] | undefined;
        for (let n = 0; n < 100; n++) {
          const query = { where, sort: { field: 'stime', desc }, limit: 37, after, fields: ['uid'] };
          const b = listSql(query);
          const rows = (windowed ? await listPage(store, query) : await store.query(b.sql, b.params)).map(splitSortKey);
          if (!rows.length) break;
          out.push(...rows.map(([r]) => r.uid as string));
          after = rows[rows.length - 1][1];
        }
        return out;
      };
      const plain = await pages(false);
      expect(plain).toHaveLength(1000);
      expect(await pages(true)).toEqual(plain);
    }
  });

  it('aggregates top-N by masked addresses and in time bins', async () => {
    await store.append([
      rec('a', 0, { saddr: '10.1.2.3', sbytes: 100, dbytes: 0 }),
      rec('b', 0, { saddr: '10.1.2.200', sbytes: 50, dbytes: 0 }),
      rec('c', 0, { saddr: '10.1.3.1', sbytes: 10, dbytes: 0, stime: 1700000100, ltime: 1700000101 }),
      rec('d', 0, { saddr: '2001:db8:0:1::5', sbytes: 1, dbytes: 0 }),
      rec('e', 0, { saddr: '2001:db8:0:2::5', sbytes: 1, dbytes: 0 }),
    ]);
    const b = aggregateSql({
      by: [{ field: 'saddr', bits: 24, name: 'saddr/24' }],
      metrics: ['bytes', 'count'],
      top: 10,
      maxPoints: 100,
    });
    const rows = (await store.query(b.sql, b.params)).map((r) => ({ ...r, _g0: formatAddrKey(r._g0) }));
    expect(rows).toEqual([
      { _g0: '10.1.2.0/24', _m0: 150, _m1: 2 },
      { _g0: '10.1.3.0/24', _m0: 10, _m1: 1 },
      { _g0: '2001:d00::/24', _m0: 2, _m1: 2 },
    ]);
    const b48 = aggregateSql({
      by: [{ field: 'saddr', bits: 48, name: 'saddr/48' }],
      metrics: ['count'],
      top: 10,
      maxPoints: 100,
      where: { sql: '"saddr" LIKE ?', params: ['%:%'] },
    });
    expect((await store.query(b48.sql, b48.params)).map((r) => formatAddrKey(r._g0))).toEqual(['2001:db8::/48']);
    const s = aggregateSql({ by: [], metrics: ['bytes'], top: 10, bin: 60, maxPoints: 100 });
    expect(await store.query(s.sql, s.params)).toEqual([
      { _t: 1699999980, _m0: 152 },
      { _t: 1700000100, _m0: 10 },
    ]);
  });
});

describe('running per-address totals', () => {
  it('answer top talkers exactly as SQL over the tables does, through merges, replays and retention', async () => {
    const store = await FlowStore.open(':memory:', { threads: 1 });
    try {
      const batch1 = Array.from({ length: 300 }, (_, i) =>
        rec(`t${i}`, 0, {
          rtype: i % 4 ? 'final' : 'status',
          saddr: `10.0.${i % 7}.1`,
          daddr: `192.0.2.${i % 5}`,
          sbytes: i,
          dbytes: 2 * i,
          sappbytes: i % 3 ? i : null,
        }),
      );
      await store.append(batch1);
      // Continuations of the status flows, a replay, and a record after its flow's end.
      await store.append([
        ...batch1
          .filter((_, i) => i % 4 === 0)
          .map((r) => rec(r.uid, 1, { saddr: r.saddr, daddr: r.daddr, sbytes: 5 })),
        batch1[1],
      ]);
      await store.append([
        rec('t0', 3, { rtype: 'status', saddr: batch1[0].saddr, daddr: batch1[0].daddr, sbytes: 1 }),
      ]);
      const check = async () => {
        for (const key of ['saddr', 'daddr']) {
          for (const records of [false, true]) {
            const metrics = ['bytes', 'count', 'pkts', 'appbytes', 'sbytes'];
            const b = aggregateSql({ by: [{ field: key, name: key }], metrics, top: 4, records, maxPoints: 10 });
            const sql = (await store.query(b.sql, b.params)).map((r) => ({
              key: r._g0,
              metrics: metrics.map((_, i) => r[`_m${i}`]),
            }));
            expect(store.topTotals(key, metrics, 4, records)).toEqual(sql);
          }
        }
      };
      await check();
      await store.exclusive((c) => c.run(`UPDATE records SET _batch = 1 WHERE seq = 0 AND uid < 't2'`));
      expect(await store.applyRetention({ maxAgeDays: 1 })).toBeGreaterThan(0);
      await check();
      expect(store.topTotals('saddr', ['state'], 4, false)).toBeUndefined();
      expect(store.topTotals('dport', ['bytes'], 4, false)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('acquireFlowStore', () => {
  it('shares one open store per path and closes it with the last release', async () => {
    const a = await acquireFlowStore(':memory:');
    const b = await acquireFlowStore(':memory:');
    expect(a.store).toBe(b.store);
    await a.release();
    await a.release();
    expect(await b.store.counts()).toMatchObject({ records: 0 });
    await b.release();
    await expect(b.store.counts()).rejects.toThrow(/closed/);
  });
});
