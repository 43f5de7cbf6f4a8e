import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginContext, validateConfig } from '@panoptes/plugin-sdk';
import { acquireFlowStore } from '@panoptes/store';
import { sinkStorePlugin, StoreSinkConfig } from './index';

function context(): PluginContext & { counts: Record<string, number>; rejected: string[] } {
  const counts: Record<string, number> = {};
  const rejected: string[] = [];
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
  return {
    id: 'store',
    inputs: { records: 'flows.raw' },
    outputs: {},
    log,
    counts,
    rejected,
    emit: async () => undefined,
    reject: async (reason: string) => void rejected.push(reason),
    count: (name: string, by = 1) => void (counts[name] = (counts[name] ?? 0) + by),
    gauge: () => undefined,
  };
}

const rec = (uid: string, seq: number, rtype = 'final', sbytes = 10) => ({
  uid,
  seq,
  rtype,
  sid: 't',
  stime: 1700000000 + seq,
  ltime: 1700000000.5 + seq,
  dur: 0.5,
  proto: 'udp',
  saddr: '10.0.0.1',
  sport: 5353,
  dir: '->',
  daddr: '10.0.0.2',
  dport: 53,
  spkts: 1,
  dpkts: 1,
  sbytes,
  dbytes: 20,
});

describe('sink-store', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'sink-store-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('validates its config: defaults, and every bad key reported', () => {
    const ok = validateConfig(StoreSinkConfig, { path: 'x.duckdb' });
    expect(ok.value).toMatchObject({ path: 'x.duckdb', retentionDays: 0, maxSizeMb: 0, batchRecords: 50000 });
    const bad = validateConfig(StoreSinkConfig, { retentionDays: -1, batchRecords: 'many', colour: 'red' });
    expect([...new Set(bad.issues.map((i) => i.path))].sort()).toEqual([
      'batchRecords',
      'colour',
      'path',
      'retentionDays',
    ]);
    expect(bad.issues.find((i) => i.path === 'colour')?.message).toBe('unknown key "colour"');
  });

  it('stores records once, merges flows, dead-letters what is not a flow record', async () => {
    const ctx = context();
    const path = join(dir, 'db', 'flows.duckdb');
    const sink = sinkStorePlugin.create(validateConfig(StoreSinkConfig, { path, batchRecords: 2 }).value!, ctx);
    await sink.start();
    await sink.handle([rec('a', 0, 'status'), rec('a', 1), rec('b', 0), { hello: 1 }], 'records');
    await sink.handle([rec('b', 0)], 'records');
    expect(ctx.counts).toEqual({ stored: 3, duplicates: 1 });
    expect(ctx.rejected).toEqual(['not a flow record: needs uid, seq, stime and ltime']);
    // The API side gets the same open store.
    const lease = await acquireFlowStore(path);
    const flows = await lease.store.query('SELECT uid, sbytes, _nrec FROM flows ORDER BY uid');
    expect(flows).toEqual([
      { uid: 'a', sbytes: 20, _nrec: 2 },
      { uid: 'b', sbytes: 10, _nrec: 1 },
    ]);
    await lease.release();
    await sink.stop();
  });

  it('applies a new retention at once when reconfigured', async () => {
    const ctx = context();
    const path = join(dir, 'flows.duckdb');
    const sink = sinkStorePlugin.create(validateConfig(StoreSinkConfig, { path }).value!, ctx);
    await sink.start();
    await sink.handle([rec('a', 0), rec('b', 0)], 'records');
    const store = (
      sink as unknown as {
        store: {
          exclusive: (f: (c: { run(s: string): Promise<unknown> }) => Promise<unknown>) => Promise<unknown>;
          counts(): Promise<{ records: number }>;
        };
      }
    ).store;
    await store.exclusive((c) => c.run(`UPDATE records SET _batch = _batch - 3 * 86400000000 WHERE uid = 'a'`));
    await sink.reconfigure!(validateConfig(StoreSinkConfig, { path, retentionDays: 2 }).value!);
    expect((await store.counts()).records).toBe(1);
    expect(ctx.counts.expired).toBe(1);
    await sink.stop();
  });
});
