import { RecordCopier } from './record.copier';

describe('RecordCopier', () => {
  const flow = (i: number): Record<string, unknown> => ({
    uid: `f${i}`,
    seq: 0,
    stime: 1_700_000_000.25 + i,
    saddr: '10.0.0.1',
    daddr: '192.0.2.7',
    spkts: i,
  });

  it('copies like Object.assign: same keys in the same order, same values, a new plain object', () => {
    const c = new RecordCopier();
    for (let i = 0; i < 5; i++) {
      const r = flow(i);
      const f = c.copy(r);
      expect(f).not.toBe(r);
      expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
      expect(f.constructor).toBe(Object);
      expect(Object.keys(f)).toEqual(Object.keys(r));
      expect(f).toStrictEqual(Object.assign({}, r));
      f.sco = 'GB';
      expect(r.sco).toBeUndefined();
    }
  });

  it('copies records of other shapes, key orders and extra or missing keys exactly', () => {
    const c = new RecordCopier();
    const records: Record<string, unknown>[] = [
      flow(1),
      { ...flow(2), state: 'CON' },
      { seq: 1, uid: 'x', saddr: 'a', daddr: 'b' },
      { uid: 'y', saddr: 'a' },
      { 2: 'two', 1: 'one', uid: 'z' },
      flow(3),
      {},
    ];
    for (let round = 0; round < 3; round++)
      for (const r of records) {
        const f = c.copy(r);
        expect(Object.keys(f)).toEqual(Object.keys(r));
        expect(f).toStrictEqual(Object.assign({}, r));
      }
  });

  it('keeps undefined values and a key named __proto__ as Object.assign does', () => {
    const c = new RecordCopier();
    const r = { uid: 'u', sname: undefined };
    for (let i = 0; i < 3; i++) {
      const f = c.copy(r);
      expect('sname' in f).toBe(true);
      expect(Object.keys(f)).toEqual(['uid', 'sname']);
    }
    const p = JSON.parse('{"uid":"p","__proto__":{"x":1}}') as Record<string, unknown>;
    for (let i = 0; i < 3; i++) {
      const f = c.copy(p);
      const expected = Object.assign({}, p);
      expect(Object.keys(f)).toEqual(Object.keys(expected));
      expect(Object.getPrototypeOf(f)).toBe(Object.getPrototypeOf(expected));
    }
  });

  it('does not take inherited enumerable keys for own ones', () => {
    const c = new RecordCopier();
    const base = { inherited: 1 };
    const r = Object.assign(Object.create(base) as Record<string, unknown>, { uid: 'i' });
    for (let i = 0; i < 3; i++) {
      const f = c.copy(r);
      expect(Object.keys(f)).toEqual(['uid']);
      expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
    }
  });

  it('keeps working past the number of shapes it learns', () => {
    const c = new RecordCopier();
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 20; i++) {
        const r: Record<string, unknown> = { uid: `u${i}` };
        r[`k${i}`] = i;
        expect(c.copy(r)).toStrictEqual(r);
      }
  });

  it('tells apart shapes that share a prefix, in any order they come', () => {
    const c = new RecordCopier();
    const base = flow(7);
    const shapes: Record<string, unknown>[] = [
      { ...base, sco: 'GB', dco: 'US' },
      { ...base, snet: 'private', dco: 'US' },
      { ...base, sco: 'GB' },
      base,
      { ...base, snet: 'private' },
      { ...base, sco: 'GB', dnet: 'multicast' },
      { uid: 'short' },
    ];
    let seed = 1;
    for (let i = 0; i < 500; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const r = shapes[seed % shapes.length];
      const f = c.copy(r);
      expect(Object.keys(f)).toEqual(Object.keys(r));
      expect(f).toStrictEqual(Object.assign({}, r));
    }
  });
});
