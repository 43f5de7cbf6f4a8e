// Number and time formatting for the console. Pure functions, no DOM, so the
// unit specs run them under Node.

const SI = ['', 'k', 'M', 'G', 'T', 'P'];

/** 1234567 -> "1.23 M"; small whole numbers stay exact. */
export function fmtSi(n: number, unit = ''): string {
  if (!Number.isFinite(n)) return '–';
  const neg = n < 0;
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 ? (Number.isInteger(v) ? 0 : v < 10 ? 2 : 1) : v < 10 ? 2 : v < 100 ? 1 : 0;
  const s = `${neg ? '-' : ''}${v.toFixed(digits)}`;
  const suffix = `${SI[i]}${unit}`;
  return suffix ? `${s} ${suffix}` : s;
}

export const fmtBytes = (n: number): string => fmtSi(n, 'B');
export const fmtRate = (bytesPerSec: number): string => fmtSi(bytesPerSec * 8, 'bit/s');
export const fmtCount = (n: number): string => fmtSi(n);

/** Exact integer with thin-space thousands separators, for tables where the value is checked. */
export function fmtInt(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/** Parses what fmtInt printed back to a number (used by tests and by sorting copied cells). */
export function parseInt10(s: string): number {
  return Number(s.replace(/[\s\u2009,]/g, ''));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Epoch seconds -> "2023-11-14 22:13:20.123" in UTC, like ra with -u. */
export function fmtTime(epochSec: number, withMs = true): string {
  if (!Number.isFinite(epochSec)) return '–';
  const d = new Date(epochSec * 1000);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return withMs ? `${base}.${pad(d.getUTCMilliseconds(), 3)}` : base;
}

/** Seconds -> "850 µs", "12.3 ms", "4.20 s", "3m05s", "2h07m". */
export function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '–';
  if (sec < 0.001) return `${Math.round(sec * 1e6)} µs`;
  if (sec < 1) return `${(sec * 1000).toFixed(1)} ms`;
  if (sec < 60) return `${sec.toFixed(2)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${pad(Math.floor(sec % 60))}s`;
  return `${Math.floor(sec / 3600)}h${pad(Math.floor((sec % 3600) / 60))}m`;
}

/** "10.0.0.1" : 443 -> "10.0.0.1:443"; IPv6 addresses get brackets; a null port prints the address alone. */
export function fmtEndpoint(addr: string, port: number | null | undefined): string {
  if (port === null || port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/**
 * A caret under the column a filter error names ("... at column 9"), for
 * showing the expression with the spot marked; undefined when the message
 * names no column.
 */
export function errorCaret(expr: string, message: string): string | undefined {
  const m = /\bcolumn (\d+)\b/i.exec(message);
  if (!m) return undefined;
  const col = Math.min(Math.max(1, Number(m[1])), expr.length + 1);
  return `${' '.repeat(col - 1)}^`;
}
