/**
 * A bounded cache with least-recently-used eviction, approximated by two
 * generations: entries live in `hot`; when it fills, it becomes `cold` and a
 * fresh `hot` starts; a hit in `cold` is promoted. Everything used within the
 * last `max / 2` insertions survives, and each operation is a Map access or
 * two, with no per-entry list to maintain on the hot path.
 */
export class GenerationalLru<K, V> {
  private hot = new Map<K, V>();
  private cold = new Map<K, V>();
  private readonly half: number;

  constructor(readonly max: number) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  get size(): number {
    return this.hot.size + this.cold.size;
  }

  get(k: K): V | undefined {
    const v = this.hot.get(k);
    if (v !== undefined || this.max === 0) return v;
    const c = this.cold.get(k);
    if (c !== undefined) {
      this.cold.delete(k);
      this.put(k, c);
    }
    return c;
  }

  set(k: K, v: V): void {
    if (this.max === 0) return;
    this.put(k, v);
  }

  private put(k: K, v: V): void {
    if (this.hot.size >= this.half) {
      this.cold = this.hot;
      this.hot = new Map();
    }
    this.hot.set(k, v);
  }

  clear(): void {
    this.hot = new Map();
    this.cold = new Map();
  }
}
