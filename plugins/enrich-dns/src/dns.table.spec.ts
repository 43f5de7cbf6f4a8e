import { seededRandom } from '@panoptes/flow';
import { addrKey, PassiveDnsTable } from './dns.table';

describe('PassiveDnsTable', () => {
  it('gives each client the name it was told, and others the latest answer', () => {
    const t = new PassiveDnsTable(100, 0);
    t.add('10.0.0.1', '198.51.100.7', 'a.example.com', 1000, 300);
    t.add('10.0.0.2', '198.51.100.7', 'b.example.net', 1001, 300);
    expect(t.lookup('10.0.0.1', '198.51.100.7', 1010)).toBe('a.example.com');
    expect(t.lookup('10.0.0.2', '198.51.100.7', 1010)).toBe('b.example.net');
    expect(t.lookup('10.0.0.3', '198.51.100.7', 1010)).toBe('b.example.net');
  });

  it('never uses an answer seen after the flow started', () => {
    const t = new PassiveDnsTable(100, 0);
    t.add('10.0.0.1', '198.51.100.7', 'late.example.com', 1000, 300);
    expect(t.lookup('10.0.0.1', '198.51.100.7', 999.5)).toBeUndefined();
    expect(t.lookup('10.0.0.9', '198.51.100.7', 999.5)).toBeUndefined();
  });

  it('keeps the earlier answer for flows that started before a newer, different one', () => {
    const t = new PassiveDnsTable(100, 0);
    t.add('10.0.0.1', '198.51.100.7', 'old.example.com', 1000, 300);
    t.add('10.0.0.2', '198.51.100.7', 'new.example.com', 1100, 300);
    expect(t.lookup('10.0.0.3', '198.51.100.7', 1050)).toBe('old.example.com');
    expect(t.lookup('10.0.0.3', '198.51.100.7', 1150)).toBe('new.example.com');
  });

  it('honours the TTL plus the grace, in capture time', () => {
    const t = new PassiveDnsTable(100, 60);
    t.add('10.0.0.1', '198.51.100.7', 'a.example.com', 1000, 30);
    expect(t.lookup('10.0.0.1', '198.51.100.7', 1090)).toBe('a.example.com');
    expect(t.lookup('10.0.0.1', '198.51.100.7', 1090.001)).toBeUndefined();
    expect(new PassiveDnsTable(100, 0).lookup('x', 'y', 1)).toBeUndefined();
  });

  it('stays within maxEntries, evicting the least recently answered', () => {
    const t = new PassiveDnsTable(1000, 0);
    for (let i = 0; i < 5000; i++)
      t.add(`10.0.${i >> 8}.${i & 255}`, `198.51.100.${i % 200}`, `n${i}.example`, 1000 + i, 300);
    // Eviction takes the least recently answered address with all its clients (25 here).
    expect(t.size).toBeLessThanOrEqual(1000);
    expect(t.size).toBeGreaterThan(1000 - 25);
    expect(t.evicted).toBe(5000 - t.size);
    expect(t.lookup('10.0.19.135', '198.51.100.199', 6000)).toBe('n4999.example');
    expect(t.lookup('10.0.0.0', '198.51.100.0', 1001)).toBeUndefined();
  });
});

describe('PassiveDnsTable repeated answers', () => {
  it('a repeated answer extends the name from its first answer, a gap does not', () => {
    const t = new PassiveDnsTable(100, 0);
    t.add('10.0.0.1', '198.51.100.7', 'a.example.com', 1000, 300);
    t.add('10.0.0.2', '198.51.100.7', 'a.example.com', 1200, 300);
    expect(t.lookup('10.0.0.3', '198.51.100.7', 1100)).toBe('a.example.com');
    expect(t.lookup('10.0.0.3', '198.51.100.7', 1450)).toBe('a.example.com');
    t.add('10.0.0.2', '198.51.100.7', 'a.example.com', 2000, 300);
    expect(t.lookup('10.0.0.3', '198.51.100.7', 1600)).toBeUndefined();
    expect(t.lookup('10.0.0.3', '198.51.100.7', 1450)).toBe('a.example.com');
    expect(t.lookup('10.0.0.3', '198.51.100.7', 2100)).toBe('a.example.com');
  });
});

describe('PassiveDnsTable keys', () => {
  it('takes any text as an address or client, including names an object would inherit', () => {
    const t = new PassiveDnsTable(100, 0);
    const odd = ['__proto__', 'constructor', 'toString', '0', ''];
    odd.forEach((a, i) => t.add('10.0.0.1', a, `n${i}.example`, 1000, 300));
    odd.forEach((a, i) => expect(t.lookup('10.0.0.1', a, 1010)).toBe(`n${i}.example`));
    expect(t.lookup('10.0.0.1', 'valueOf', 1010)).toBeUndefined();
    expect(t.lookup('__proto__', '198.51.100.7', 1010)).toBeUndefined();
  });

  it('forgets an evicted address for lookups too', () => {
    const t = new PassiveDnsTable(2, 0);
    t.add('c', 'a1', 'one.example', 1000, 300);
    t.add('c', 'a2', 'two.example', 1001, 300);
    t.add('c', 'a3', 'three.example', 1002, 300);
    expect(t.lookup('c', 'a1', 1010)).toBeUndefined();
    expect([t.lookup('c', 'a2', 1010), t.lookup('c', 'a3', 1010)]).toEqual(['two.example', 'three.example']);
  });
});

describe('addrKey', () => {
  it('gives a dotted-quad IPv4 address its value as a 32-bit integer, and keeps any other text', () => {
    expect(addrKey('0.0.0.0')).toBe(0);
    expect(addrKey('10.1.2.3')).toBe((10 << 24) | (1 << 16) | (2 << 8) | 3);
    expect(addrKey('255.255.255.255')).toBe(-1);
    expect(addrKey('198.51.100.7')).toBe((198 << 24) | (51 << 16) | (100 << 8) | 7);
    for (const s of [
      '010.1.2.3',
      '10.1.2.03',
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '1.2.3.',
      ' 1.2.3.4',
      '::1',
      '0',
      '',
    ])
      expect(addrKey(s)).toBe(s);
  });

  it('keeps an address and other text with the same digits apart in the table', () => {
    const t = new PassiveDnsTable(100, 0);
    t.add('10.0.0.1', '0.0.0.0', 'zero.example', 1000, 300);
    t.add('10.0.0.1', '0', 'text.example', 1000, 300);
    t.add('10.0.0.1', '010.0.0.1', 'padded.example', 1000, 300);
    expect(t.lookup('10.0.0.1', '0.0.0.0', 1010)).toBe('zero.example');
    expect(t.lookup('10.0.0.1', '0', 1010)).toBe('text.example');
    expect(t.lookup('10.0.0.1', '10.0.0.1', 1010)).toBeUndefined();
    expect(t.lookup('10.0.0.1', '010.0.0.1', 1010)).toBe('padded.example');
  });
});

/**
 * The table's rules written the plain way (a map of every client's answer per
 * address), as it was before the entry kept its first client inline: the
 * table must answer every lookup and evict exactly as this does.
 */
class PlainTable {
  private readonly byAddr = new Map<string, { cur: Res; prev?: Res; clients: Map<string, Res> }>();
  private entries = 0;
  evicted = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly graceSec: number,
  ) {}

  add(client: string, addr: string, name: string, time: number, ttl: number): void {
    const r: Res = { name, time, until: time + Math.max(0, ttl) + this.graceSec };
    let e = this.byAddr.get(addr);
    if (!e) {
      e = { cur: r, clients: new Map([[client, r]]) };
      this.entries++;
    } else {
      this.byAddr.delete(addr);
      const mine = e.clients.get(client);
      if (!mine) this.entries++;
      if (!mine || mine.time <= time) e.clients.set(client, extendRes(mine, r));
      if (e.cur.time <= time) {
        const merged = extendRes(e.cur, r);
        if (merged === r) e.prev = e.cur;
        e.cur = merged;
      } else if (!e.prev || e.prev.time <= time) e.prev = r;
    }
    this.byAddr.set(addr, e);
    while (this.entries > this.maxEntries) {
      const [oldest, old] = this.byAddr.entries().next().value!;
      this.byAddr.delete(oldest);
      this.entries -= old.clients.size;
      this.evicted += old.clients.size;
    }
  }

  lookup(client: string, addr: string, t: number): string | undefined {
    const e = this.byAddr.get(addr);
    if (e === undefined) return undefined;
    const live = (x: Res | undefined) => !!x && x.time <= t && t <= x.until;
    const mine = e.clients.get(client);
    if (live(mine)) return mine!.name;
    if (live(e.cur)) return e.cur.name;
    if (e.cur.time > t && live(e.prev)) return e.prev!.name;
    return undefined;
  }
}

interface Res {
  name: string;
  time: number;
  until: number;
}

function extendRes(old: Res | undefined, r: Res): Res {
  if (!old || old.name !== r.name || r.time > old.until) return r;
  return { name: r.name, time: old.time, until: Math.max(old.until, r.until) };
}

describe('PassiveDnsTable against the plain rules', () => {
  it('answers every lookup and evicts as a map of every client answer would (seeded random traffic)', () => {
    const rand = seededRandom(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const addrs = ['198.51.100.7', '198.51.100.8', '2001:db8::1', '10.0.0.1', 'odd'];
    const clients = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    const names = ['a.example', 'b.example', 'c.example'];
    for (const [max, grace] of [
      [4, 0],
      [8, 5],
      [1000, 2],
    ]) {
      const table = new PassiveDnsTable(max, grace);
      const plain = new PlainTable(max, grace);
      let now = 1000;
      let lookups = 0;
      for (let step = 0; step < 20_000; step++) {
        now += rand() * 3;
        if (rand() < 0.4) {
          // Answers arrive a little out of order, with TTLs from none to longer than the gaps.
          const at = now - rand() * 8;
          const args = [pick(clients), pick(addrs), pick(names), at, Math.floor(rand() * 30)] as const;
          table.add(...args);
          plain.add(...args);
        } else {
          const args = [pick(clients), pick(addrs), now - rand() * 40] as const;
          expect([step, table.lookup(...args)]).toEqual([step, plain.lookup(...args)]);
          lookups++;
        }
      }
      expect(table.evicted).toBe(plain.evicted);
      expect(table.size).toBeLessThanOrEqual(max);
      expect(lookups).toBeGreaterThan(10_000);
    }
  });
});
