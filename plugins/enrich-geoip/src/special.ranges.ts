/**
 * Address ranges that no geolocation database can place: RFC 1918 and ULA
 * private space, loopback, link-local, multicast, documentation, shared
 * (CGNAT), unspecified, broadcast and reserved. A flow side in one of them is
 * labelled in snet/dnet and not looked up, so a private address never picks
 * up a misleading country from a database's catch-all entries.
 */
import { parseIpv4 } from '@panoptes/flow';

export type SpecialLabel =
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'multicast'
  | 'documentation'
  | 'shared'
  | 'unspecified'
  | 'broadcast'
  | 'reserved';

/** The special-range label of an IPv4 address given as a number (parseIpv4), or undefined. */
export function v4Label(a: number): SpecialLabel | undefined {
  const o1 = a >>> 24;
  const o2 = (a >>> 16) & 0xff;
  const o3 = (a >>> 8) & 0xff;
  if (o1 === 10 || (o1 === 172 && o2 >= 16 && o2 <= 31) || (o1 === 192 && o2 === 168)) return 'private';
  if (o1 === 127) return 'loopback';
  if (o1 === 169 && o2 === 254) return 'link-local';
  if (o1 >= 224 && o1 <= 239) return 'multicast';
  if (
    (o1 === 192 && o2 === 0 && o3 === 2) ||
    (o1 === 198 && o2 === 51 && o3 === 100) ||
    (o1 === 203 && o2 === 0 && o3 === 113)
  ) {
    return 'documentation';
  }
  if (o1 === 100 && o2 >= 64 && o2 <= 127) return 'shared';
  if (o1 === 0) return 'unspecified';
  if (a === 0xffffffff) return 'broadcast';
  if (o1 >= 240) return 'reserved';
  return undefined;
}

/** Parses IPv6 text to eight 16-bit groups; undefined when not IPv6. Accepts an embedded IPv4 tail. */
export function parseIpv6(s: string): number[] | undefined {
  if (s.indexOf(':') < 0) return undefined;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const parseSide = (t: string): number[] | undefined => {
    if (t === '') return [];
    const out: number[] = [];
    const parts = t.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.indexOf('.') >= 0) {
        const v4 = parseIpv4(p);
        if (v4 < 0) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseSide(s.slice(0, dbl));
    const tail = parseSide(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const all = parseSide(s);
  return all && all.length === 8 ? all : undefined;
}

function v6Label(g: number[]): SpecialLabel | undefined {
  const zeroTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(5) && g[5] === 0xffff) return v4Label(((g[6] << 16) | g[7]) >>> 0);
  if (zeroTo(7)) return g[7] === 1 ? 'loopback' : g[7] === 0 ? 'unspecified' : 'reserved';
  if ((g[0] & 0xfe00) === 0xfc00) return 'private';
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0] & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation';
  if (g[0] === 0x3fff && g[1] <= 0x0fff) return 'documentation';
  return undefined;
}

/** The special-range label of an address, or undefined for a routable one (or text that is no address). */
export function specialLabel(addr: string): SpecialLabel | undefined {
  const v4 = parseIpv4(addr);
  if (v4 >= 0) return v4Label(v4);
  const g = parseIpv6(addr);
  return g ? v6Label(g) : undefined;
}

/** Whether the text is an IPv4 or IPv6 address. */
export function isIpAddress(addr: string): boolean {
  return parseIpv4(addr) >= 0 || parseIpv6(addr) !== undefined;
}
