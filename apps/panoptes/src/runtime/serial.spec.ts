import { Serial } from './serial';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Serial', () => {
  it('never overlaps two calls, keeps their order, and keeps going after a failure', async () => {
    const serial = new Serial();
    const events: string[] = [];
    let running = 0;
    let most = 0;
    const call =
      (name: string, ms: number, fail = false) =>
      async () => {
        running++;
        most = Math.max(most, running);
        events.push(`start ${name}`);
        await tick(ms);
        events.push(`end ${name}`);
        running--;
        if (fail) throw new Error(`${name} failed`);
      };
    const results = await Promise.allSettled([
      serial.run(call('a', 20)),
      serial.run(call('b', 1, true)),
      serial.run(call('c', 5)),
    ]);
    expect(most).toBe(1);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('b failed');
  });
});
