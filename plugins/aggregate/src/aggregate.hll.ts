/**
 * HyperLogLog distinct counting (Flajolet et al. 2007, with the small-range
 * linear counting correction). A sketch starts sparse, holding exact 32-bit
 * hashes, and turns into 2^p one-byte registers once that would be smaller,
 * so the many small groups of a rollup stay cheap. Adding is order
 * independent, so a shuffled input gives the same estimate.
 */

/** 32-bit hash of a key value: FNV-1a over the text with murmur3's finaliser for well-spread bits. */
export function hashValue(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 4294967296) return fmix32(v ^ 0x9e3779b9);
  const s = typeof v === 'string' ? v : String(v);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HyperLogLog {
  private sparse: Set<number> | undefined = new Set();
  private regs: Uint8Array | undefined;
  private readonly m: number;

  /** p: log2 of the register count (4..16); standard error about 1.04 / sqrt(2^p). */
  constructor(readonly p = 12) {
    if (!(p >= 4 && p <= 16)) throw new Error(`hll precision must be 4 to 16, found ${p}`);
    this.m = 1 << p;
  }

  add(hash: number): void {
    if (this.sparse) {
      this.sparse.add(hash >>> 0);
      if (this.sparse.size > this.m >>> 5) this.densify();
      return;
    }
    this.set(hash);
  }

  private set(hash: number): void {
    const idx = hash >>> (32 - this.p);
    const w = (hash << this.p) >>> 0;
    const rho = w === 0 ? 33 - this.p : Math.clz32(w) + 1;
    const regs = this.regs!;
    if (rho > regs[idx]) regs[idx] = rho;
  }

  private densify(): void {
    this.regs = new Uint8Array(this.m);
    for (const h of this.sparse!) this.set(h);
    this.sparse = undefined;
  }

  merge(other: HyperLogLog): void {
    if (other.p !== this.p) throw new Error('cannot merge sketches of different precision');
    if (other.sparse) {
      for (const h of other.sparse) this.add(h);
      return;
    }
    if (this.sparse) this.densify();
    const a = this.regs!;
    const b = other.regs!;
    for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];
  }

  /** The estimated number of distinct values added (exact while sparse). */
  count(): number {
    if (this.sparse) return this.sparse.size;
    const regs = this.regs!;
    const m = this.m;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      sum += 2 ** -regs[i];
      if (regs[i] === 0) zeros++;
    }
    const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
    let e = (alpha * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
    else if (e > 2 ** 32 / 30) e = -(2 ** 32) * Math.log(1 - e / 2 ** 32);
    return Math.round(e);
  }
}
