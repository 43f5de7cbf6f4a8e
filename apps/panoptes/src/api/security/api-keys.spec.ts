import { ApiKeys, bearer } from './api-keys';
import { RateLimiter } from './rate-limiter';

describe('ApiKeys', () => {
  const keys = new ApiKeys({ admin: ['adm-key-1', 'env:UNSET_VAR', ''], read: ['read-key-1', 'adm-key-1'] });

  it('gives each key its role, admin winning when a key is listed twice', () => {
    expect(keys.roleOf('read-key-1')).toBe('read');
    expect(keys.roleOf('adm-key-1')).toBe('admin');
    expect(keys.size).toBe(3);
  });

  it('refuses near misses, prefixes, extensions and the names of unset variables', () => {
    for (const k of ['read-key-2', 'read-key-', 'read-key-11', 'READ-KEY-1', '', 'env:UNSET_VAR'])
      expect(keys.roleOf(k)).toBeUndefined();
    expect(keys.ignored).toEqual(['admin key env:UNSET_VAR (variable not set)', 'an empty admin key']);
  });

  it('reads Bearer tokens only', () => {
    expect(bearer('Bearer abc')).toBe('abc');
    expect(bearer('bearer   abc ')).toBe('abc');
    expect(bearer('Basic abc')).toBeUndefined();
    expect(bearer('Bearer a b')).toBeUndefined();
    expect(bearer(undefined)).toBeUndefined();
  });
});

describe('RateLimiter', () => {
  it('allows the burst, then the rate, per client', () => {
    const l = new RateLimiter(2, 3);
    const t = 1_000_000;
    expect([l.take('a', t), l.take('a', t), l.take('a', t)]).toEqual([0, 0, 0]);
    expect(l.take('a', t)).toBe(1);
    expect(l.take('b', t)).toBe(0);
    expect(l.take('a', t + 500)).toBe(0);
    expect(l.take('a', t + 500)).toBe(1);
  });
});
