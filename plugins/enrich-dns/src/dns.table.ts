/**
 * The passive DNS table: which name a client was given for an address, and
 * when. Answers are keyed by (client, address) so clients that were told
 * different names (split horizon, CDNs, a rogue resolver) each keep theirs;
 * an address also remembers its last two answers from anyone, for flows
 * whose client's own lookup was not seen. Times are the capture's (epoch
 * seconds), not the wall clock, so replaying an old capture works.
 */

export interface Resolution {
  readonly name: string;
  /** When the answer was seen. */
  readonly time: number;
  /** Last moment it still labels: answer time + TTL + grace. */
  readonly until: number;
}

interface AddrEntry {
  cur: Resolution;
  prev?: Resolution;
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

/** A Map bounded by count: re-setting a key moves it to the back; the front is evicted. */
class BoundedMap<K, V> {
  readonly map = new Map<K, V>();
  evicted = 0;
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    return this.map.get(k);
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) {
      this.map.delete(this.map.keys().next().value as K);
      this.evicted++;
    }
  }
}

export class PassiveDnsTable {
  private readonly byClient: BoundedMap<string, Resolution>;
  private readonly byAddr: BoundedMap<string, AddrEntry>;

  constructor(
    maxEntries: number,
    private readonly graceSec: number,
  ) {
    this.byClient = new BoundedMap(maxEntries);
    this.byAddr = new BoundedMap(Math.max(1, Math.ceil(maxEntries / 2)));
  }

  get size(): number {
    return this.byClient.map.size;
  }

  get evicted(): number {
    return this.byClient.evicted + this.byAddr.evicted;
  }

  /** Records that `client` was told `addr` is `name` at `time`, valid for `ttl` seconds. */
  add(client: string, addr: string, name: string, time: number, ttl: number): void {
    const r: Resolution = { name, time, until: time + Math.max(0, ttl) + this.graceSec };
    const key = client + '|' + addr;
    const mine = this.byClient.get(key);
    if (!mine || mine.time <= time) this.byClient.set(key, extend(mine, r));
    const e = this.byAddr.get(addr);
    if (!e) this.byAddr.set(addr, { cur: r });
    else if (e.cur.time <= time) {
      const merged = extend(e.cur, r);
      // The answer it replaces stays as `prev` for flows that started before the new one.
      this.byAddr.set(addr, { cur: merged, prev: merged === r ? e.cur : e.prev });
    } else if (!e.prev || e.prev.time <= time) e.prev = r;
  }

  /**
   * The name `client` resolved for `addr` before time `t`, still within its
   * TTL and grace: the client's own answer first, else the latest anyone got.
   */
  lookup(client: string, addr: string, t: number): string | undefined {
    const mine = this.byClient.get(client + '|' + addr);
    if (live(mine, t)) return mine!.name;
    const e = this.byAddr.get(addr);
    if (!e) return undefined;
    if (live(e.cur, t)) return e.cur.name;
    if (e.cur.time > t && live(e.prev, t)) return e.prev!.name;
    return undefined;
  }
}
