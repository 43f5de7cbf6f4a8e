import { EmbeddedBus } from './embedded.bus';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EmbeddedBus', () => {
  it('delivers every batch to every group, in order', async () => {
    const bus = new EmbeddedBus({ queueRecords: 10 });
    const a: number[] = [];
    const b: number[] = [];
    await bus.subscribe<number>('t', { group: 'a' }, async (r) => void a.push(...r));
    await bus.subscribe<number>('t', { group: 'b' }, async (r) => void b.push(...r));
    for (let i = 0; i < 100; i += 4) await bus.publish('t', [i, i + 1, i + 2, i + 3]);
    await bus.drain();
    const all = Array.from({ length: 100 }, (_, i) => i);
    expect(a).toEqual(all);
    expect(b).toEqual(all);
    await bus.stop();
  });

  it('makes a publisher wait while a slow consumer is full, and never exceeds the bound', async () => {
    const bus = new EmbeddedBus({ queueRecords: 8 });
    let maxDepth = 0;
    const got: number[] = [];
    await bus.subscribe<number>('t', { group: 'slow' }, async (r) => {
      maxDepth = Math.max(maxDepth, bus.stats()[0].depth);
      await sleep(2);
      got.push(...r);
    });
    let published = 0;
    const producer = (async () => {
      for (let i = 0; i < 200; i += 5) {
        await bus.publish('t', [i, i + 1, i + 2, i + 3, i + 4]);
        published += 5;
      }
    })();
    await sleep(10);
    // The producer is held back: far fewer published than it wants, at most bound + one batch ahead.
    expect(published).toBeLessThan(200);
    expect(published - got.length).toBeLessThanOrEqual(8 + 5);
    await producer;
    await bus.drain();
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(maxDepth).toBeLessThanOrEqual(8);
    await bus.stop();
  });

  it('splits a batch larger than the bound instead of overfilling', async () => {
    const bus = new EmbeddedBus({ queueRecords: 3 });
    const sizes: number[] = [];
    await bus.subscribe<number>('t', { group: 'g' }, async (r) => void sizes.push(r.length));
    await bus.publish('t', [1, 2, 3, 4, 5, 6, 7]);
    await bus.drain();
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('keeps one key with one consumer when a group has several', async () => {
    const bus = new EmbeddedBus();
    const seen = new Map<string, Set<number>>();
    for (const n of [1, 2, 3]) {
      await bus.subscribe<{ uid: string }>('t', { group: 'g' }, async (r) => {
        for (const x of r) (seen.get(x.uid) ?? seen.set(x.uid, new Set()).get(x.uid)!).add(n);
      });
    }
    const recs = Array.from({ length: 300 }, (_, i) => ({ uid: `f${i % 50}` }));
    await bus.publish('t', recs, (r) => r.uid);
    await bus.drain();
    expect(seen.size).toBe(50);
    for (const consumers of seen.values()) expect(consumers.size).toBe(1);
    const used = new Set([...seen.values()].flatMap((s) => [...s]));
    expect(used.size).toBeGreaterThan(1);
  });

  it('dead-letters a batch whose handler fails, and goes on', async () => {
    const bus = new EmbeddedBus();
    const ok: number[] = [];
    await bus.subscribe<number>('t', { group: 'g' }, async (r) => {
      if (r.includes(13)) throw new Error('unlucky');
      ok.push(...r);
    });
    const dlq: unknown[] = [];
    await bus.subscribe('t.dlq', { group: 'd' }, async (r) => void dlq.push(...r));
    await bus.publish('t', [12]);
    await bus.publish('t', [13]);
    await bus.publish('t', [14]);
    await bus.drain();
    expect(ok).toEqual([12, 14]);
    expect(dlq).toEqual([{ topic: 't', reason: 'handler failed: unlucky', payload: [13] }]);
    expect(bus.deadLetterCounts().get('t.dlq')).toBe(1);
  });

  it('counts records published to a topic nobody reads', async () => {
    const bus = new EmbeddedBus();
    await bus.publish('nobody', [1, 2, 3]);
    expect(bus.unroutedCounts().get('nobody')).toBe(3);
  });
});
