import { hashValue, HyperLogLog } from './aggregate.hll';
import { compileGroupKey, parseKeyPart, parseKeys, splitKeyList } from './aggregate.keys';

describe('group keys', () => {
  const r = {
    saddr: '10.1.2.3',
    daddr: '2001:db8:1:2::9',
    proto: 'tcp',
    dport: 8443,
    sport: 51000,
    smac: '02:00:00:00:00:01',
  };

  it('masks IPv4 and IPv6 addresses, one length for both or one each', () => {
    expect(parseKeyPart('saddr/24').display(r)).toBe('10.1.2.0/24');
    expect(parseKeyPart('daddr/24').display(r)).toBe('2001:d00::/24');
    expect(parseKeyPart('daddr/16/48').display(r)).toBe('2001:db8:1::/48');
    expect(parseKeyPart('saddr/16/48').display(r)).toBe('10.1.0.0/16');
    expect(parseKeyPart('saddr/24').value(r)).toBe(parseKeyPart('saddr/24').value({ saddr: '10.1.2.200' }));
  });

  it('leaves MAC addresses of non-IP flows as they are', () => {
    expect(parseKeyPart('saddr/24').display({ saddr: '02:00:00:00:00:01' })).toBe('02:00:00:00:00:01');
  });

  it('cuts ports into buckets and named ranges', () => {
    expect(parseKeyPart('dport/1024').display(r)).toBe('8192-9215');
    expect(parseKeyPart('sport[0-1023,1024-49151,49152-]').display(r)).toBe('49152-');
    expect(parseKeyPart('dport[0-1023,1024-49151]').display(r)).toBe('1024-49151');
    expect(parseKeyPart('dport[53,80,443]').display(r)).toBe(8443);
    expect(parseKeyPart('dport[53,80,443]').display({ dport: 443 })).toBe('443');
  });

  it('adds proto to a port key, as racluster does', () => {
    expect(parseKeys(['saddr/24', 'dport']).map((p) => p.field)).toEqual(['saddr', 'proto', 'dport']);
    expect(parseKeys(['dport', 'proto']).map((p) => p.field)).toEqual(['dport', 'proto']);
  });

  it('gives absent fields a null key value', () => {
    const key = compileGroupKey(parseKeys(['saddr', 'dport']));
    expect(key({ saddr: '10.0.0.1', proto: 'icmp' })).toBe(key({ saddr: '10.0.0.1', proto: 'icmp', dport: null }));
    expect(parseKeyPart('dport').display({})).toBeNull();
  });

  it.each([
    ['nope', 'unknown field nope'],
    ['saddr/40', 'mask must be at most 32'],
    ['proto/8', 'applies to addresses and numeric fields only'],
    ['dport/0', 'bucket width must be at least 1'],
    ['dport[9-1]', 'empty range'],
    ['dport[a-b]', 'bad range'],
    ['proto[1-2]', 'ranges need a numeric field'],
    ['Saddr', 'expected a field name'],
  ])('refuses %j', (spec, message) => {
    expect(() => parseKeys([spec])).toThrow(message);
  });

  it('refuses a field given twice', () => {
    expect(() => parseKeys(['saddr', 'saddr/24'])).toThrow('given twice');
  });

  it('splits a CLI key list outside brackets', () => {
    expect(splitKeyList('saddr/24,dport[0-1023,1024-]')).toEqual(['saddr/24', 'dport[0-1023,1024-]']);
    expect(splitKeyList('saddr/24 dport')).toEqual(['saddr/24', 'dport']);
  });
});

describe('HyperLogLog', () => {
  it('is exact while sparse', () => {
    const h = new HyperLogLog(12);
    for (let i = 0; i < 100; i++) h.add(hashValue(`10.0.0.${i}`));
    for (let i = 0; i < 100; i++) h.add(hashValue(`10.0.0.${i}`));
    expect(h.count()).toBe(100);
  });

  it.each([1000, 20000, 200000])('estimates %i distinct values within 5%%', (n) => {
    const h = new HyperLogLog(12);
    for (let i = 0; i < n; i++) h.add(hashValue(i % 2 ? `host-${i}` : i));
    expect(Math.abs(h.count() - n) / n).toBeLessThan(0.05);
  });

  it('merges to the sketch of the union, in any order', () => {
    const a = new HyperLogLog(10);
    const b = new HyperLogLog(10);
    const all = new HyperLogLog(10);
    for (let i = 0; i < 5000; i++) {
      (i % 3 ? a : b).add(hashValue(i));
      all.add(hashValue(i));
    }
    const ab = new HyperLogLog(10);
    ab.merge(a);
    ab.merge(b);
    const ba = new HyperLogLog(10);
    ba.merge(b);
    ba.merge(a);
    expect(ab.count()).toBe(all.count());
    expect(ba.count()).toBe(all.count());
  });
});
