/**
 * Address parsing for the filter language and for address masks (saddr/24)
 * elsewhere. Hand-written over char codes because they run once per record
 * on the hot path; a regex or split() would allocate.
 */

/**
 * An IPv4 address as an unsigned 32-bit number, or -1 when the text is not
 * one. A part with a leading zero ("010") is refused: inet_aton reads it as
 * octal, so the text names no one address, and two spellings of one address
 * must not meet as keys.
 */
export function parseIpv4(s: string): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      acc = (acc << 8) | part; // int32 arithmetic: no double on the hot path
      part = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return ((acc << 8) | part) >>> 0;
}

/** The 8 16-bit groups of an IPv6 address, or undefined when the text is not one. */
export function parseIpv6(s: string): number[] | undefined {
  if (s.length < 2 || s.indexOf(':') < 0) return undefined;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const a = groups(head);
  const b = dbl >= 0 ? groups(tail) : [];
  if (!a || !b) return undefined;
  const fill = 8 - a.length - b.length;
  if (dbl >= 0 ? fill < 1 : fill !== 0) return undefined;
  const out = a.slice();
  for (let i = 0; i < fill; i++) out.push(0);
  return out.concat(b);
}

function groups(s: string): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (i === parts.length - 1 && p.indexOf('.') >= 0) {
      // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
      const v4 = parseIpv4(p);
      if (v4 < 0) return undefined;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
    out.push(parseInt(p, 16));
  }
  return out;
}

/** The canonical (RFC 5952) text of an IPv6 address given as 8 groups. */
export function formatIpv6(g: readonly number[]): string {
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return hex.slice(0, bestAt).join(':') + '::' + hex.slice(bestAt + bestLen).join(':');
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** True when the 8 groups `g` fall inside prefix `net`/`bits` (net already masked). */
export function ipv6InNet(g: readonly number[], net: readonly number[], bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((g[i] & mask) !== net[i]) return false;
  }
  return true;
}

/** Masks IPv6 groups to a prefix length, returning a new array. */
export function maskIpv6(g: readonly number[], bits: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    const b = bits - i * 16;
    const mask = b >= 16 ? 0xffff : b <= 0 ? 0 : (0xffff << (16 - b)) & 0xffff;
    out.push(g[i] & mask);
  }
  return out;
}

/** Masks an IPv4 number to a prefix length (0..32). */
export function maskIpv4(n: number, bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return n;
  return (n - (n % 2 ** (32 - bits))) >>> 0;
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** A MAC address in colon form (the address of a non-IP flow). */
export function isMac(s: string): boolean {
  return MAC.test(s);
}

/** The IP version of an address field's text: 4, 6, or 0 for a MAC or anything else. */
export function ipVersion(s: string | null | undefined): 0 | 4 | 6 {
  if (typeof s !== 'string') return 0;
  if (s.indexOf(':') < 0) return s.indexOf('.') >= 0 ? 4 : 0;
  return MAC.test(s) ? 0 : 6;
}
