/**
 * A full structural check of a MaxMind DB file before it is used: metadata,
 * search tree and every data record reachable from the tree, each bounds-
 * checked. The reader the lookups use (mmdb-lib) trusts the file, and a
 * corrupt one makes it throw, loop or return garbage in the middle of a
 * stream; checking once at open time turns all of that into one clear
 * start-up error. Follows the MaxMind DB format spec 2.0.
 */

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const METADATA_MAX_SIZE = 128 * 1024;
const SEPARATOR = 16;
const MAX_DEPTH = 512;
/** Latest plausible build time (year 3000); a larger build_epoch is corrupt. */
const MAX_EPOCH = 32_503_680_000;

export interface MmdbInfo {
  readonly databaseType: string;
  readonly ipVersion: 4 | 6;
  readonly recordSize: number;
  readonly nodeCount: number;
  readonly buildEpoch: number;
  /** Distinct data records the search tree points to. */
  readonly records: number;
  /** The first few distinct data records, decoded, to tell what the database holds. */
  readonly samples: readonly unknown[];
}

export class MmdbFormatError extends Error {
  override name = 'MmdbFormatError';
}

const fail = (msg: string): never => {
  throw new MmdbFormatError(msg);
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes (and so checks) values of one data section. `base` is where
 * pointers count from; `end` bounds every read.
 */
class CheckingDecoder {
  private readonly verified = new Set<number>();
  private readonly onStack = new Set<number>();
  private work = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly base: number,
    private readonly end: number,
  ) {}

  /** Decodes the value at a section-relative offset; `keep` false checks without building values. */
  value(offset: number, keep: boolean): unknown {
    this.work = 0;
    return this.decode(this.base + offset, 0, keep)[0];
  }

  private need(at: number, n: number): void {
    if (at < this.base || at + n > this.end) fail(`data at offset ${at - this.base} runs past the end of its section`);
  }

  /** Returns [value, next position]. */
  private decode(pos: number, depth: number, keep: boolean): [unknown, number] {
    if (depth > MAX_DEPTH) fail(`data nested deeper than ${MAX_DEPTH} levels at offset ${pos - this.base}`);
    if (++this.work > 5_000_000) fail(`data record at offset ${pos - this.base} is implausibly large`);
    this.need(pos, 1);
    const ctrl = this.buf[pos++];
    let type = ctrl >> 5;
    if (type === 1) return this.pointer(ctrl, pos, depth, keep);
    if (type === 0) {
      this.need(pos, 1);
      type = 7 + this.buf[pos++];
      if (type < 8 || type > 15) fail(`unknown data type ${type} at offset ${pos - 2 - this.base}`);
    }
    let size = ctrl & 0x1f;
    if (size >= 29) {
      const extra = size - 28;
      this.need(pos, extra);
      const v = this.buf.readUIntBE(pos, extra);
      pos += extra;
      size = size === 29 ? 29 + v : size === 30 ? 285 + v : 65821 + v;
    }
    switch (type) {
      case 2: {
        this.need(pos, size);
        let s: string | undefined;
        try {
          s = utf8.decode(this.buf.subarray(pos, pos + size));
        } catch {
          fail(`invalid UTF-8 string at offset ${pos - this.base}`);
        }
        return [keep ? s : undefined, pos + size];
      }
      case 3:
        if (size !== 8) fail(`double of size ${size} at offset ${pos - this.base}`);
        this.need(pos, 8);
        return [this.buf.readDoubleBE(pos), pos + 8];
      case 4:
        this.need(pos, size);
        return [keep ? Buffer.from(this.buf.subarray(pos, pos + size)) : undefined, pos + size];
      case 5:
      case 6:
      case 8:
      case 9:
      case 10: {
        const max = { 5: 2, 6: 4, 8: 4, 9: 8, 10: 16 }[type]!;
        if (size > max) fail(`integer of type ${type} with ${size} bytes at offset ${pos - this.base}`);
        this.need(pos, size);
        let v = 0;
        for (let i = 0; i < size; i++) v = v * 256 + this.buf[pos + i];
        return [v, pos + size];
      }
      case 7: {
        const out: Record<string, unknown> | undefined = keep ? {} : undefined;
        for (let i = 0; i < size; i++) {
          const [k, afterKey] = this.decode(pos, depth + 1, true);
          if (typeof k !== 'string') fail(`map key that is not a string at offset ${pos - this.base}`);
          const [v, next] = this.decode(afterKey, depth + 1, keep);
          if (out) out[k as string] = v;
          pos = next;
        }
        return [out, pos];
      }
      case 11: {
        const out: unknown[] | undefined = keep ? [] : undefined;
        for (let i = 0; i < size; i++) {
          const [v, next] = this.decode(pos, depth + 1, keep);
          out?.push(v);
          pos = next;
        }
        return [out, pos];
      }
      case 14:
        if (size > 1) fail(`boolean of size ${size} at offset ${pos - this.base}`);
        return [size === 1, pos];
      case 15:
        if (size !== 4) fail(`float of size ${size} at offset ${pos - this.base}`);
        this.need(pos, 4);
        return [this.buf.readFloatBE(pos), pos + 4];
      default:
        return fail(`data type ${type} not allowed in a record at offset ${pos - 1 - this.base}`);
    }
  }

  private pointer(ctrl: number, pos: number, depth: number, keep: boolean): [unknown, number] {
    const ss = (ctrl >> 3) & 3;
    const vvv = ctrl & 7;
    this.need(pos, ss + 1);
    const b = this.buf.readUIntBE(pos, ss + 1);
    const target =
      ss === 0 ? vvv * 0x100 + b : ss === 1 ? vvv * 0x10000 + b + 2048 : ss === 2 ? vvv * 0x1000000 + b + 526336 : b;
    const next = pos + ss + 1;
    const at = this.base + target;
    if (at >= this.end) fail(`pointer to offset ${target} beyond the data section`);
    if (this.buf[at] >> 5 === 1) fail(`pointer to a pointer at offset ${target}`);
    if (!keep && this.verified.has(at)) return [undefined, next];
    if (this.onStack.has(at)) fail(`cyclic data structure through offset ${target}`);
    this.onStack.add(at);
    const [v] = this.decode(at, depth + 1, keep);
    this.onStack.delete(at);
    if (!keep) this.verified.add(at);
    return [v, next];
  }
}

function findMetadata(buf: Buffer): number {
  const from = Math.max(0, buf.length - METADATA_MAX_SIZE);
  const at = buf.lastIndexOf(METADATA_MARKER);
  if (at < from || at < 0) fail('no MaxMind DB metadata marker: not an .mmdb file (or a truncated one)');
  return at;
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Checks a whole database image; throws MmdbFormatError saying what is wrong. */
export function verifyMmdb(buf: Buffer): MmdbInfo {
  const marker = findMetadata(buf);
  const metaStart = marker + METADATA_MARKER.length;
  const meta = new CheckingDecoder(buf, metaStart, buf.length).value(0, true);
  if (!meta || typeof meta !== 'object' || Array.isArray(meta) || Buffer.isBuffer(meta)) fail('metadata is not a map');
  const m = meta as Record<string, unknown>;
  if (m.binary_format_major_version !== 2)
    fail(`unsupported binary format version ${String(m.binary_format_major_version)}`);
  if (!isUint(m.node_count) || m.node_count === 0) fail('metadata node_count missing or not a positive integer');
  if (m.record_size !== 24 && m.record_size !== 28 && m.record_size !== 32)
    fail(`unsupported record_size ${String(m.record_size)}`);
  if (m.ip_version !== 4 && m.ip_version !== 6) fail(`unsupported ip_version ${String(m.ip_version)}`);
  if (typeof m.database_type !== 'string') fail('metadata database_type missing');
  if (!isUint(m.build_epoch) || m.build_epoch > MAX_EPOCH)
    fail(`metadata build_epoch out of range: ${String(m.build_epoch)}`);
  if (m.languages !== undefined && (!Array.isArray(m.languages) || m.languages.some((l) => typeof l !== 'string'))) {
    fail('metadata languages is not a list of strings');
  }
  const nodeCount = m.node_count as number;
  const recordSize = m.record_size as number;
  const nodeBytes = recordSize / 4;
  const treeSize = nodeCount * nodeBytes;
  if (treeSize + SEPARATOR > marker) fail(`search tree of ${nodeCount} nodes is larger than the file`);
  for (let i = treeSize; i < treeSize + SEPARATOR; i++)
    if (buf[i] !== 0) fail('data section separator is not 16 zero bytes');
  const dataStart = treeSize + SEPARATOR;
  const dataSize = marker - dataStart;
  const data = new CheckingDecoder(buf, dataStart, marker);
  const seen = new Set<number>();
  const samples: unknown[] = [];
  const check = (rec: number, node: number): void => {
    const off = rec - nodeCount - SEPARATOR;
    if (off < 0 || off >= dataSize) fail(`search tree node ${node} points outside the data section (record ${rec})`);
    if (seen.has(off)) return;
    seen.add(off);
    try {
      data.value(off, false);
      if (samples.length < 64) samples.push(data.value(off, true));
    } catch (err) {
      if (err instanceof RangeError) fail(`data record at offset ${off} is nested too deeply`);
      throw err;
    }
  };
  const read = (n: number, right: boolean): number => {
    const p = n * nodeBytes;
    if (recordSize === 24) return buf.readUIntBE(right ? p + 3 : p, 3);
    if (recordSize === 28) {
      return right
        ? (buf[p + 3] & 0x0f) * 0x1000000 + buf.readUIntBE(p + 4, 3)
        : (buf[p + 3] >> 4) * 0x1000000 + buf.readUIntBE(p, 3);
    }
    return buf.readUInt32BE(right ? p + 4 : p);
  };
  // Walk the tree from the root as lookups do: a record pointing to a node on
  // the current path is a loop, a path longer than the address is corrupt, and
  // a node no path reaches means node_count does not describe this tree.
  const bits = m.ip_version === 6 ? 128 : 32;
  const state = new Uint8Array(nodeCount); // 0 unseen, 1 on the path, 2 done
  let reached = 0;
  const walk = (n: number, depth: number): void => {
    if (depth >= bits) fail(`search tree deeper than ${bits} bits at node ${n}`);
    state[n] = 1;
    reached++;
    for (const side of [false, true]) {
      const rec = read(n, side);
      if (rec < nodeCount) {
        if (state[rec] === 1) fail(`search tree node ${n} points back to node ${rec} (a loop)`);
        if (state[rec] === 0) walk(rec, depth + 1);
      } else if (rec > nodeCount) check(rec, n);
    }
    state[n] = 2;
  };
  walk(0, 0);
  if (reached !== nodeCount)
    fail(`search tree reaches ${reached} of its ${nodeCount} nodes: corrupt tree or node_count`);
  return {
    databaseType: m.database_type as string,
    ipVersion: m.ip_version as 4 | 6,
    recordSize,
    nodeCount,
    buildEpoch: m.build_epoch as number,
    records: seen.size,
    samples,
  };
}
