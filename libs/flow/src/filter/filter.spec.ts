import { FlowRecord } from '../flow.catalogue';
import { compileFilter, FilterError, parseFilter } from './filter';
import { ERROR_CASES, MATCH_CASES } from './filter.cases';
import { FILTER_RECORDS } from './filter.fixtures';
import { derivedValue } from './filter.compiler';
import { formatIpv6, parseIpv4, parseIpv6 } from './filter.addr';

const letters = Object.keys(FILTER_RECORDS);

function matches(expr: string): string {
  const test = compileFilter(expr);
  return letters.filter((k) => test(FILTER_RECORDS[k])).join('');
}

describe('ra filter language', () => {
  it('has at least 40 match cases and 10 error cases', () => {
    expect(MATCH_CASES.length).toBeGreaterThanOrEqual(40);
    expect(ERROR_CASES.length).toBeGreaterThanOrEqual(10);
  });

  it.each(MATCH_CASES)('%j matches %j', (expr, expected) => {
    expect(matches(expr)).toBe(expected);
  });

  it.each(ERROR_CASES)('%j is rejected at column %i', (expr, column, reason) => {
    let err: unknown;
    try {
      compileFilter(expr);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterError);
    const fe = err as FilterError;
    expect(fe.column).toBe(column);
    expect(fe.message).toContain(reason);
    expect(fe.message).toContain(`column ${column}`);
    expect(fe.expression).toBe(expr);
  });

  it('names the offending token', () => {
    expect(() => compileFilter('tcp and port ftpx')).toThrow(
      'filter: expected a port number, range (53-100) or service name at column 14 ("ftpx")',
    );
  });

  it('treats a missing field as false and its negation as true', () => {
    const r = { ...FILTER_RECORDS.D } as FlowRecord;
    expect(compileFilter('dst ttl lt 60')(r)).toBe(false);
    expect(compileFilter('dst ttl ge 60')(r)).toBe(false);
    expect(compileFilter('not dst ttl lt 60')(r)).toBe(true);
    expect(compileFilter('dttl ne 5')(r)).toBe(false);
  });

  it('does not crash on records with odd values', () => {
    const odd = {
      saddr: 42,
      daddr: null,
      stcpflgs: 7,
      proto: undefined,
    } as unknown as FlowRecord;
    for (const [expr] of MATCH_CASES) expect(typeof compileFilter(expr)(odd)).toBe('boolean');
  });

  it('parses and/or left to right with equal precedence', () => {
    const root = parseFilter('tcp or udp and port 53').root;
    expect(root.type).toBe('and');
  });

  it('computes rate and load as ra does', () => {
    // ra -s rate srate sload on a 7/7-packet flow of 0.157541 s: 38.085323 and 29249.5 bits/s.
    const r = { spkts: 7, dpkts: 7, sbytes: 672, dbytes: 7089, dur: 0.157541 };
    expect(derivedValue(r, 'srate')).toBeCloseTo(38.085323, 5);
    expect(derivedValue(r, 'sload')).toBeCloseTo(29249.5, 0);
    expect(derivedValue({ spkts: 1, dur: 0 }, 'srate')).toBe(0);
  });

  it('parses and prints addresses', () => {
    expect(parseIpv4('192.0.2.1')).toBe(0xc0000201);
    expect(parseIpv4('192.0.2')).toBe(-1);
    expect(parseIpv4('1.2.3.4.5')).toBe(-1);
    // A leading zero reads as octal to inet_aton: no one address, refused.
    expect([parseIpv4('010.0.0.1'), parseIpv4('10.00.0.1'), parseIpv4('0.0.0.0')]).toEqual([-1, -1, 0]);
    expect(formatIpv6(parseIpv6('2001:0db8:0:0:0:0:0:1')!)).toBe('2001:db8::1');
    expect(parseIpv6('::ffff:192.0.2.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
    expect(parseIpv6('1::2::3')).toBeUndefined();
    expect(parseIpv6('02:00:00:00:00:01')).toBeUndefined();
  });
});
