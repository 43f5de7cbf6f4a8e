/**
 * A bounded cache with least-recently-used eviction, approximated by a clock
 * (second chance): the entries sit in a ring of at most `max` slots; a hit
 * marks its slot, and a new entry takes the first unmarked slot past the
 * hand, clearing the marks it passes. Every entry keeps its slot until it
 * goes unused for a whole turn of the hand, so all `max` entries stay in use
 * (a two-generation scheme keeps between half and all of them).
 *
 * The map holds slot numbers (small integers, stored in the map itself) and
 * the slots are flat arrays, so a hit is one Map access, an array read and a
 * byte write: no per-entry object to reach, no reordering, no allocation.
 */
export class ClockCache<K, V> {
  private readonly index = new Map<K, number>();
  private readonly keys: K[] = [];
  private readonly values: V[] = [];
  private used: Uint8Array;
  private hand = 0;

  constructor(readonly max: number) {
    this.used = new Uint8Array(Math.min(max, 1024));
  }

  get size(): number {
    return this.index.size;
  }

  get(k: K): V | undefined {
    const i = this.index.get(k);
    if (i === undefined) return undefined;
    this.used[i] = 1;
    return this.values[i];
  }

  /** Adds `k`, which must not be held (call after get() missed). */
  add(k: K, v: V): void {
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
      this.index.delete(this.keys[i]);
      this.keys[i] = k;
      this.values[i] = v;
    }
    this.index.set(k, i);
  }

  clear(): void {
    this.index.clear();
    this.keys.length = 0;
    this.values.length = 0;
    this.used.fill(0);
    this.hand = 0;
  }
}
