import { validateConfig } from '@panoptes/plugin-sdk';
import { runPlugin } from '@panoptes/testing';
import { aggregatePlugin, AggregateConfig } from './index';
import { AggregateRecord } from './aggregate.record';

const flow = (uid: string, stime: number, saddr: string, dport: number, sbytes: number, seq = 0) => ({
  uid,
  seq,
  rtype: 'final',
  sid: 't',
  stime,
  ltime: stime + 1,
  dur: 1,
  proto: 'tcp',
  saddr,
  sport: 40000,
  dir: '->',
  daddr: '192.0.2.1',
  dport,
  spkts: 2,
  dpkts: 1,
  sbytes,
  dbytes: 100,
});

describe('aggregate plugin', () => {
  it('validates its default config', () => {
    const v = validateConfig(AggregateConfig, {});
    expect(v.issues).toEqual([]);
    expect(v.value!.keys).toEqual(['proto', 'saddr', 'sport', 'daddr', 'dport']);
    expect(v.value!.binSec).toBe(60);
  });

  it('reports every bad key at once', () => {
    const v = validateConfig(AggregateConfig, {
      keys: ['saddr/40'],
      topBy: 'x',
      distinct: ['nope'],
      binSec: -1,
      color: 1,
    });
    const messages = v.issues.map((i) => `${i.path}: ${i.message}`).sort();
    expect(messages).toEqual([
      'binSec: binSec must not be less than 0, found number -1',
      'color: unknown key "color"',
      'distinct: expected flow field names, unknown: nope, found a list of 1',
      'keys: bad key "saddr/40": mask must be at most 32 (IPv4) and 128 (IPv6), found a list of 1',
      'topBy: topBy must be one of the following values: bytes, pkts, trans, flows, found "x"',
    ]);
  });

  it('rolls records up per window and sends late records to the late port', async () => {
    const batch1 = [
      flow('a', 1000, '10.0.0.1', 443, 500),
      flow('b', 1010, '10.0.0.2', 443, 700),
      flow('b', 1030, '10.0.0.2', 443, 50, 1), // a status delta of flow b: bytes count, the flow does not
      flow('c', 1020, '10.0.1.1', 80, 300),
    ];
    const batch2 = [flow('d', 1130, '10.0.0.3', 443, 10), flow('e', 1001, '10.0.0.9', 443, 5)]; // e is late
    const run = await runPlugin(
      aggregatePlugin,
      { keys: ['saddr/24', 'dport'], binSec: 60, allowedLatenessSec: 5 },
      { input: [batch1, batch2, [{ stime: 'x' }, 'not a record']] },
    );
    const aggs = run.outputs.aggregates as AggregateRecord[];
    expect(aggs.map((a) => [a.stime, a.saddr, a.proto, a.dport, a.trans, a.flows, a.sbytes, a.bytes])).toEqual([
      [960, '10.0.0.0/24', 'tcp', 443, 2, 2, 1200, 1400],
      [1020, '10.0.0.0/24', 'tcp', 443, 1, 0, 50, 150],
      [1020, '10.0.1.0/24', 'tcp', 80, 1, 1, 300, 400],
      [1080, '10.0.0.0/24', 'tcp', 443, 1, 1, 10, 110],
    ]);
    expect(aggs[0]).toMatchObject({ ltime: 1020, dur: 60, mean: 1, min: 1, max: 1, rate: 0.1, load: 186.666667 });
    expect((run.outputs.late as { uid: string }[]).map((r) => r.uid)).toEqual(['e']);
    expect(run.counters.late).toBe(1);
    expect(run.counters.bad).toBe(2);
    expect(run.rejected.map((r) => r.reason)).toEqual([
      'aggregate: record has no numeric stime',
      'aggregate: record has no numeric stime',
    ]);
  });

  it('bounds groups per window and counts the overflow in "other"', async () => {
    const input = [[1, 2, 3, 4, 5].map((i) => flow(`u${i}`, 100 + i, `10.0.${i}.1`, 443, i * 100))];
    const run = await runPlugin(aggregatePlugin, { keys: ['saddr/24'], binSec: 60, maxGroups: 2 }, { input });
    const aggs = run.outputs.aggregates as AggregateRecord[];
    expect(aggs.map((a) => [a.saddr ?? 'other', a.trans, a.sbytes, a.groups ?? 0])).toEqual([
      ['10.0.1.0/24', 1, 100, 0],
      ['10.0.2.0/24', 1, 200, 0],
      ['other', 3, 1200, 3],
    ]);
    expect(aggs[2].other).toBe(true);
    expect(run.counters.overflow).toBe(3);
  });

  it('keeps the top N groups by bytes and folds the rest into "other"', async () => {
    const input = [[1, 2, 3, 4, 5].map((i) => flow(`u${i}`, 100 + i, `10.0.${i}.1`, 443, i * 100))];
    const run = await runPlugin(
      aggregatePlugin,
      { keys: ['saddr/24'], binSec: 60, topN: 2, topBy: 'bytes', distinct: ['saddr'] },
      { input },
    );
    const aggs = run.outputs.aggregates as AggregateRecord[];
    expect(aggs.map((a) => [a.saddr ?? 'other', a.sbytes, a.groups ?? 0, a.distinct!.saddr])).toEqual([
      ['10.0.5.0/24', 500, 0, 1],
      ['10.0.4.0/24', 400, 0, 1],
      ['other', 600, 3, 3],
    ]);
  });
});
