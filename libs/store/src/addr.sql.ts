/**
 * Address prefixes in SQL for group keys like `saddr/24`. Addresses are text
 * columns (DuckDB's inet extension is not assumed), so an IPv4 address is
 * masked as a number and printed back as `a.b.c.d/n`; an IPv6 address is
 * expanded to 32 hex digits, masked, and returned as `v6:<hex>/n` for
 * formatAddrKey() to print in RFC 5952 form. Anything else (a MAC) stays as
 * it is. The expressions run once per distinct address (see aggregateSql).
 */
import { formatIpv6, ipv6HexSql } from '@panoptes/flow';

const V4 = `'^[0-9]{1,3}([.][0-9]{1,3}){3}$'`;
const MAC = `'^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$'`;

function v4(c: string, bits: number): string {
  const b = Math.min(32, bits);
  const octet = (i: number, w: number): string => `TRY_CAST(split_part(${c}, '.', ${i}) AS BIGINT) * ${w}`;
  const n = `(${octet(1, 16777216)} + ${octet(2, 65536)} + ${octet(3, 256)} + ${octet(4, 1)})`;
  const span = 2 ** (32 - b);
  const m = `(${n} // ${span} * ${span})`;
  return `concat_ws('.', ${m} // 16777216, ${m} // 65536 % 256, ${m} // 256 % 256, ${m} % 256) || '/${b}'`;
}

function v6(c: string, bits: number): string {
  const b = Math.min(128, bits);
  const whole = Math.floor(b / 4);
  const rest = b % 4;
  const h = ipv6HexSql(c);
  let prefix = `substr(${h}, 1, ${whole})`;
  if (rest > 0) {
    const span = 2 ** (4 - rest);
    prefix += ` || lower(printf('%x', TRY_CAST('0x' || substr(${h}, ${whole + 1}, 1) AS INTEGER) // ${span} * ${span}))`;
  }
  return `'v6:' || rpad(${prefix}, 32, '0') || '/${b}'`;
}

/** `col` masked to a prefix of `bits` (clamped per family), as text. */
export function maskedAddrSql(col: string, bits: number): string {
  return (
    `(CASE WHEN regexp_full_match(${col}, ${V4}) THEN ${v4(col, bits)} ` +
    `WHEN contains(${col}, ':') AND NOT regexp_full_match(${col}, ${MAC}) AND NOT contains(${col}, '.') THEN ${v6(col, bits)} ` +
    `ELSE ${col} END)`
  );
}

/** Prints a `v6:<32 hex>/n` key as an IPv6 prefix; other keys pass unchanged. */
export function formatAddrKey(v: unknown): unknown {
  if (typeof v !== 'string' || !v.startsWith('v6:')) return v;
  const [hex, bits] = v.slice(3).split('/');
  const g: number[] = [];
  for (let i = 0; i < 32; i += 4) g.push(parseInt(hex.slice(i, i + 4), 16));
  return `${formatIpv6(g)}/${bits}`;
}
