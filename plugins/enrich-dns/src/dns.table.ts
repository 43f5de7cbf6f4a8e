/**
 * The passive DNS table: which name a client was given for an address, and
 * when. Each address keeps the answers per client, so clients that were told
 * different names (split horizon, CDNs, a rogue resolver) each keep theirs,
 * and its last two answers from anyone, for flows whose client's own lookup
 * was not seen. Times are the capture's (epoch seconds), not the wall clock,
 * so replaying an old capture works. Keys are the address and client as they
 * come (no concatenated keys: building and hashing a new string per lookup
 * would dominate the cost), an IPv4 address as its 32-bit value (addrKey).
 */
import { parseIpv4 } from '@panoptes/flow';

export interface Resolution {
  readonly name: string;
  /** When the answer was seen. */
  readonly time: number;
  /** Last moment it still labels: answer time + TTL + grace. */
  readonly until: number;
}

/**
 * What the table knows of one address: the latest answer anyone got
 * (`cur`), and each client's own latest answer. The first client answered
 * for the address is held in the entry itself, its answer stored only when
 * it is not `cur`: most addresses are resolved by one client, so a lookup
 * usually reads this one object and needs no second map.
 */
class AddrEntry {
  /** The answer `cur` replaced, for flows that started before it. */
  prev: Resolution | undefined = undefined;
  /** The first client's own latest answer when it is not `cur` itself. */
  mine: Resolution | undefined = undefined;
  /** The other clients' own latest answers; made when a second client is answered. */
  others: Map<string, Resolution> | undefined = undefined;

  constructor(
    /** The latest answer anyone got. */
    public cur: Resolution,
    /** The first client answered for the address. */
    readonly client: string,
  ) {}
}

const live = (r: Resolution | undefined, t: number): boolean => !!r && r.time <= t && t <= r.until;

/**
 * A repeated answer with the same name, seen while the earlier one was still
 * valid, extends it: the name has held since the first answer. Anything else
 * replaces it.
 */
function extend(old: Resolution | undefined, r: Resolution): Resolution {
  if (!old || old.name !== r.name || r.time > old.until) return r;
  return { name: r.name, time: old.time, until: Math.max(old.until, r.until) };
}

/**
 * The table's key for an address: a dotted-quad IPv4 address in its usual
 * form (no leading zeros) as its value, a signed 32-bit integer, which V8
 * holds unboxed and a Map hashes as a number; any other text as it is. The
 * address strings of flows are new objects each time (one per record, from
 * the sensor or JSON.parse), so a string key costs hashing its text on every
 * lookup, and more in a property lookup (finding the string's unique copy in
 * V8's string table first); reading the four numbers is cheaper.
 */
export function addrKey(s: string): string | number {
  const v4 = parseIpv4(s);
  return v4 >= 0 ? v4 | 0 : s;
}

export class PassiveDnsTable {
  /** By addrKey(address), in order of the latest answer: the first address is the one to evict. */
  private readonly byAddr = new Map<string | number, AddrEntry>();
  private entries = 0;
  evicted = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly graceSec: number,
  ) {}

  /** (client, address) pairs held. */
  get size(): number {
    return this.entries;
  }

  /** Records that `client` was told `addr` is `name` at `time`, valid for `ttl` seconds. */
  add(client: string, addr: string, name: string, time: number, ttl: number): void {
    const r: Resolution = { name, time, until: time + Math.max(0, ttl) + this.graceSec };
    const key = addrKey(addr);
    let e = this.byAddr.get(key);
    if (!e) {
      e = new AddrEntry(r, client);
      this.entries++;
    } else {
      this.byAddr.delete(key);
      const cur = e.cur;
      let next = cur;
      if (cur.time <= time) {
        next = extend(cur, r);
        // The answer it replaces stays as `prev` for flows that started before the new one.
        if (next === r) e.prev = cur;
      } else if (!e.prev || e.prev.time <= time) e.prev = r;
      e.cur = next;
      // The first client's own answer: `cur` itself (mine undefined) until they part.
      let own = e.mine ?? cur;
      if (client === e.client) {
        if (own.time <= time) own = own === cur ? next : extend(own, r);
      } else {
        const theirs = e.others?.get(client);
        if (!theirs) this.entries++;
        if (!theirs || theirs.time <= time) (e.others ??= new Map()).set(client, extend(theirs, r));
      }
      e.mine = own === next ? undefined : own;
    }
    this.byAddr.set(key, e);
    while (this.entries > this.maxEntries) {
      const [oldest, old] = this.byAddr.entries().next().value as [string | number, AddrEntry];
      this.byAddr.delete(oldest);
      const n = 1 + (old.others?.size ?? 0);
      this.entries -= n;
      this.evicted += n;
    }
  }

  /**
   * The name `client` resolved for `addr` before time `t`, still within its
   * TTL and grace: the client's own answer first, else the latest anyone got.
   */
  lookup(client: string, addr: string, t: number): string | undefined {
    const e = this.byAddr.get(addrKey(addr));
    if (e === undefined) return undefined;
    // The first client's own answer needs checking only when it is not `cur`.
    const mine = client === e.client ? e.mine : e.others?.get(client);
    if (mine !== undefined && live(mine, t)) return mine.name;
    const cur = e.cur;
    if (cur.time <= t && t <= cur.until) return cur.name;
    if (cur.time > t && live(e.prev, t)) return e.prev!.name;
    return undefined;
  }
}
