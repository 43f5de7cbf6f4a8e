/**
 * A bounded cache with least-recently-used eviction, approximated by a clock
 * (second chance): the entries sit in a ring of at most `max` slots; a hit
 * marks its slot, and a new entry takes the first unmarked slot past the
 * hand, clearing the marks it passes. Every entry keeps its slot until it
 * goes unused for a whole turn of the hand, so all `max` entries stay in use
 * (a two-generation scheme keeps between half and all of them).
 *
 * The index holds slot numbers (small integers, stored in the index itself)
 * and the slots are flat arrays, so a hit is one keyed access, an array read
 * and a byte write: no per-entry object to reach, no reordering, no
 * allocation. The index is a prototype-less object used as a dictionary, not
 * a Map: V8 keeps its keys as unique (internalized) strings and finds an
 * entry by comparing pointers, where a Map compares each candidate key it
 * meets by content; on the enrich bench that made a hit markedly cheaper.
 */
export class ClockCache<V> {
  /** Prototype-less, so no key is inherited; V8 makes such an object a dictionary from the start. */
  private readonly index: Record<string, number> = Object.create(null) as Record<string, number>;
  private readonly keys: string[] = [];
  private readonly values: V[] = [];
  private used: Uint8Array;
  private hand = 0;

  constructor(readonly max: number) {
    this.used = new Uint8Array(Math.min(max, 1024));
  }

  get size(): number {
    return this.keys.length;
  }

  get(k: string): V | undefined {
    const i = this.index[k];
    if (i === undefined) return undefined;
    this.used[i] = 1;
    return this.values[i];
  }

  /** Adds `k`, which must not be held (call after get() missed). */
  add(k: string, v: V): void {
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
      delete this.index[this.keys[i]];
      this.keys[i] = k;
      this.values[i] = v;
    }
    this.index[k] = i;
  }

  clear(): void {
    for (const k of this.keys) delete this.index[k];
    this.keys.length = 0;
    this.values.length = 0;
    this.used.fill(0);
    this.hand = 0;
  }
}
