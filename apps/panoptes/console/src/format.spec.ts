import { errorCaret, fmtBytes, fmtDuration, fmtEndpoint, fmtInt, fmtRate, fmtSi, fmtTime, parseInt10 } from './format';

describe('console format', () => {
  it('scales by powers of 1000 with a unit', () => {
    expect(fmtSi(0)).toBe('0');
    expect(fmtSi(999)).toBe('999');
    expect(fmtBytes(1234)).toBe('1.23 kB');
    expect(fmtBytes(16_673_804)).toBe('16.7 MB');
    expect(fmtBytes(512_000_000_000)).toBe('512 GB');
    expect(fmtSi(-2500)).toBe('-2.50 k');
  });

  it('prints rates in bits per second from bytes per second', () => {
    expect(fmtRate(125_000)).toBe('1.00 Mbit/s');
  });

  it('prints exact integers with separators and reads them back', () => {
    expect(fmtInt(16673804)).toBe('16\u2009673\u2009804');
    expect(parseInt10(fmtInt(16673804))).toBe(16673804);
    expect(fmtInt(12)).toBe('12');
  });

  it('prints UTC times with milliseconds', () => {
    expect(fmtTime(1700000000.010507)).toBe('2023-11-14 22:13:20.010');
    expect(fmtTime(1700000000, false)).toBe('2023-11-14 22:13:20');
  });

  it('prints durations at a readable scale', () => {
    expect(fmtDuration(0.00085)).toBe('850 µs');
    expect(fmtDuration(0.0123)).toBe('12.3 ms');
    expect(fmtDuration(4.2)).toBe('4.20 s');
    expect(fmtDuration(185)).toBe('3m05s');
    expect(fmtDuration(7620)).toBe('2h07m');
  });

  it('brackets IPv6 endpoints', () => {
    expect(fmtEndpoint('10.0.0.1', 443)).toBe('10.0.0.1:443');
    expect(fmtEndpoint('2001:db8::1', 53)).toBe('[2001:db8::1]:53');
    expect(fmtEndpoint('10.0.0.1', null)).toBe('10.0.0.1');
  });
});

describe('errorCaret', () => {
  it('marks the 1-based column the filter error names, past the end included', () => {
    expect(errorCaret('tcp and dst port', 'filter: expected a port number at column 17')).toBe(`${' '.repeat(16)}^`);
    expect(errorCaret('port abc', 'filter: expected a port number at column 6 ("abc")')).toBe('     ^');
    expect(errorCaret('x', 'bad request')).toBeUndefined();
  });
});
