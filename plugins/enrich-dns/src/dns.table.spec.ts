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
