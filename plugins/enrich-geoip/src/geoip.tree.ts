/**
 * The search tree of a MaxMind DB file, walked directly for IPv4 addresses
 * already parsed to a number. The reader's own lookup parses the text into
 * arrays and reads each node through generic buffer calls; on a cache miss
 * that was most of the enricher's cost. The walk gives the record's pointer,
 * which names the database record (the reader decodes it once per record).
 */
export class Ipv4Tree {
  private readonly nodeCount: number;
  private readonly recordSize: number;
  private readonly start: number;

  constructor(
    private readonly buf: Buffer,
    m: { readonly nodeCount: number; readonly recordSize: number; readonly ipVersion: number },
  ) {
    this.nodeCount = m.nodeCount;
    this.recordSize = m.recordSize;
    if (![24, 28, 32].includes(this.recordSize)) throw new Error(`unsupported record size ${this.recordSize}`);
    // IPv4 addresses sit in an IPv6 tree under ::/96: 96 left turns from the root.
    let node = 0;
    if (m.ipVersion === 6) for (let i = 0; i < 96 && node < this.nodeCount; i++) node = this.record(node, 0);
    this.start = node;
  }

  /** The data pointer for `v4` (an unsigned 32-bit address), or 0 when the database has no entry. */
  find(v4: number): number {
    const count = this.nodeCount;
    let node = this.start;
    for (let depth = 0; depth < 32 && node < count; depth++) node = this.record(node, (v4 >>> (31 - depth)) & 1);
    return node > count ? node : 0;
  }

  /** The left (0) or right (1) record of a node. */
  private record(node: number, right: number): number {
    const b = this.buf;
    switch (this.recordSize) {
      case 24: {
        const o = node * 6 + 3 * right;
        return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
      }
      case 28: {
        const o = node * 7;
        const mid = b[o + 3];
        return right
          ? ((mid & 0x0f) << 24) | (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6]
          : ((mid & 0xf0) << 20) | (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
      }
      default:
        return b.readUInt32BE(node * 8 + 4 * right);
    }
  }
}
