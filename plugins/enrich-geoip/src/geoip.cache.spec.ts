import { ClockCache } from './geoip.cache';

describe('ClockCache', () => {
  it('holds at most max entries and answers what it holds', () => {
    const c = new ClockCache<number>(3);
    for (let i = 0; i < 10; i++) c.add(`k${i}`, i);
    expect(c.size).toBe(3);
    expect([c.get('k7'), c.get('k8'), c.get('k9')]).toEqual([7, 8, 9]);
    expect(c.get('k0')).toBeUndefined();
  });

  it('spares an entry used since the hand last passed, and evicts an unused one', () => {
    const c = new ClockCache<number>(3);
    c.add('a', 1);
    c.add('b', 2);
    c.add('c', 3);
    expect(c.get('a')).toBe(1);
    c.add('d', 4); // a is spared once, b goes
    expect(c.get('b')).toBeUndefined();
    expect([c.get('a'), c.get('c'), c.get('d')]).toEqual([1, 3, 4]);
    c.add('e', 5); // all used: the hand clears them and takes the next after b's slot (c)
    expect(c.get('c')).toBeUndefined();
    expect([c.get('a'), c.get('d'), c.get('e')]).toEqual([1, 4, 5]);
    expect(c.size).toBe(3);
  });

  it('keeps null values and holds nothing when max is 0', () => {
    const c = new ClockCache<number | null>(2);
    c.add('x', null);
    expect(c.get('x')).toBeNull();
    expect(c.get('y')).toBeUndefined();
    const off = new ClockCache<number>(0);
    off.add('x', 1);
    expect(off.get('x')).toBeUndefined();
    expect(off.size).toBe(0);
  });

  it('grows its flags past the first block without losing entries', () => {
    const c = new ClockCache<number>(5000);
    for (let i = 0; i < 5000; i++) c.add(`10.0.${i >> 8}.${i & 255}`, i * 2);
    for (let i = 0; i < 5000; i += 499) expect(c.get(`10.0.${i >> 8}.${i & 255}`)).toBe(i * 2);
    c.add('192.0.2.1', 1);
    expect(c.size).toBe(5000);
  });

  it('takes any text as a key, including names an object would inherit', () => {
    const c = new ClockCache<number>(10);
    const keys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '4294967295', '', '::1'];
    keys.forEach((k, i) => c.add(k, i));
    keys.forEach((k, i) => expect(c.get(k)).toBe(i));
    expect(c.get('valueOf')).toBeUndefined();
    expect(c.size).toBe(keys.length);
  });

  it('keeps integer keys apart from their text, and other numbers too', () => {
    const c = new ClockCache<string>(10);
    c.add(0, 'int 0');
    c.add('0', 'text 0');
    c.add(-1, 'int -1');
    c.add(0.5, 'half');
    c.add(2 ** 40, 'big');
    expect([c.get(0), c.get('0'), c.get(-1), c.get(0.5), c.get(2 ** 40)]).toEqual([
      'int 0',
      'text 0',
      'int -1',
      'half',
      'big',
    ]);
    expect([c.get(1), c.get(-0.5), c.get('-1')]).toEqual([undefined, undefined, undefined]);
  });

  it('answers exactly what a plain map of its live keys would, through growth and evictions', () => {
    const max = 3000;
    const c = new ClockCache<number>(max);
    const held = new Map<number, number>();
    const order: number[] = [];
    let s = 12345;
    const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) | 0);
    for (let n = 0; n < 40_000; n++) {
      // Clustered keys (neighbouring addresses) and scattered ones, both signs.
      const k = n % 3 === 0 ? next() : (next() & 0x1fff) - 0x1000;
      const got = c.get(k);
      if (held.has(k)) expect(got).toBe(held.get(k));
      else {
        expect(got).toBeUndefined();
        c.add(k, n);
        held.set(k, n);
        order.push(k);
      }
      // What the cache dropped is whatever it no longer answers; it holds at most max.
      if (n % 1000 === 999) {
        for (const [hk, hv] of held) {
          const v = c.get(hk);
          if (v === undefined) held.delete(hk);
          else expect(v).toBe(hv);
        }
        expect(held.size).toBe(Math.min(max, c.size));
        expect(c.size).toBeLessThanOrEqual(max);
      }
    }
    expect(order.length).toBeGreaterThan(max);
  });
});
