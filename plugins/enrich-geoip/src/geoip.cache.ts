/**
 * A bounded cache with least-recently-used eviction, approximated by a clock
 * (second chance): the entries sit in a ring of at most `max` slots; a hit
 * marks its slot, and a new entry takes the first unmarked slot past the
 * hand, clearing the marks it passes. Every entry keeps its slot until it
 * goes unused for a whole turn of the hand, so all `max` entries stay in use
 * (a two-generation scheme keeps between half and all of them).
 *
 * The index holds slot numbers and the slots are flat arrays, so a hit is
 * one index lookup, an array read and a byte write: no per-entry object to
 * reach, no reordering, no allocation.
 *
 * Keys are strings or numbers; the enricher keys IPv4 addresses by their
 * value as a signed 32-bit integer. Such keys have an index of their own: an
 * open-addressing table in one typed array, each key beside its slot number,
 * so a lookup reads one place of memory where a Map follows a bucket to a
 * chained entry (with a cache of 100,000 addresses, two cache misses). Other
 * keys go to a Map, not to an object used as a dictionary: the strings the
 * cache is asked about are new objects each time (one per record, from the
 * sensor or JSON.parse), and a property lookup would first have to find or
 * make each one's unique (internalized) copy in V8's string table, where a
 * Map only hashes it.
 */
export class ClockCache<V> {
  /** Keys other than 32-bit integers, to their slot. */
  private readonly other = new Map<string | number, number>();
  /** 32-bit integer keys: pairs (key, slot + 1), 0 marking a free pair; linear probing. */
  private table = new Int32Array(2 * 1024);
  /** Pairs in the table minus one (a power of two minus one). */
  private mask = 1023;
  /** 32 minus log2 of the pair count: the hash is the top bits of a multiplication. */
  private shift = 22;
  /** Integer keys held (the table doubles past half full). */
  private ints = 0;
  private readonly keys: (string | number)[] = [];
  private readonly values: V[] = [];
  private used: Uint8Array;
  private hand = 0;

  constructor(readonly max: number) {
    this.used = new Uint8Array(Math.min(max, 1024));
  }

  get size(): number {
    return this.keys.length;
  }

  get(k: string | number): V | undefined {
    const i = isInt32(k) ? this.slotOf(k) : (this.other.get(k) ?? -1);
    if (i < 0) return undefined;
    this.used[i] = 1;
    return this.values[i];
  }

  /** Adds `k`, which must not be held (call after get() missed). */
  add(k: string | number, v: V): void {
    if (this.max === 0) return;
    let i = this.keys.length;
    if (i < this.max) {
      if (i === this.used.length) {
        const grown = new Uint8Array(Math.min(this.max, 2 * i));
        grown.set(this.used);
        this.used = grown;
      }
      this.keys.push(k);
      this.values.push(v);
    } else {
      i = this.hand;
      while (this.used[i] === 1) {
        this.used[i] = 0;
        i = i + 1 === this.max ? 0 : i + 1;
      }
      this.hand = i + 1 === this.max ? 0 : i + 1;
      const old = this.keys[i];
      if (isInt32(old)) this.removeInt(old);
      else this.other.delete(old);
      this.keys[i] = k;
      this.values[i] = v;
    }
    if (isInt32(k)) this.insertInt(k, i);
    else this.other.set(k, i);
  }

  private home(k: number): number {
    return Math.imul(k, 0x9e3779b1) >>> this.shift;
  }

  private slotOf(k: number): number {
    const t = this.table;
    const mask = this.mask;
    for (let p = this.home(k); ; p = (p + 1) & mask) {
      const s = t[2 * p + 1];
      if (s === 0) return -1;
      if (t[2 * p] === k) return s - 1;
    }
  }

  private insertInt(k: number, slot: number): void {
    if (2 * (this.ints + 1) > this.mask + 1) this.growTable();
    const t = this.table;
    let p = this.home(k);
    while (t[2 * p + 1] !== 0) p = (p + 1) & this.mask;
    t[2 * p] = k;
    t[2 * p + 1] = slot + 1;
    this.ints++;
  }

  /** Removes a held key; later keys of its run move back, so every lookup still ends at a free pair. */
  private removeInt(k: number): void {
    const t = this.table;
    const mask = this.mask;
    let hole = this.home(k);
    while (t[2 * hole] !== k || t[2 * hole + 1] === 0) hole = (hole + 1) & mask;
    for (let p = (hole + 1) & mask; t[2 * p + 1] !== 0; p = (p + 1) & mask) {
      // The key at p may fill the hole unless its home lies after the hole, up to p.
      if (((p - this.home(t[2 * p])) & mask) >= ((p - hole) & mask)) {
        t[2 * hole] = t[2 * p];
        t[2 * hole + 1] = t[2 * p + 1];
        hole = p;
      }
    }
    t[2 * hole] = 0;
    t[2 * hole + 1] = 0;
    this.ints--;
  }

  private growTable(): void {
    const old = this.table;
    this.table = new Int32Array(2 * old.length);
    this.mask = 2 * this.mask + 1;
    this.shift--;
    this.ints = 0;
    for (let p = 0; p < old.length; p += 2) if (old[p + 1] !== 0) this.insertInt(old[p], old[p + 1] - 1);
  }
}

/** A key the integer table holds: a number that is a signed 32-bit integer. */
function isInt32(k: string | number): k is number {
  return typeof k === 'number' && (k | 0) === k;
}
