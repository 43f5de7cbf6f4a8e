import { readFile, stat } from 'node:fs/promises';
import { Reader } from 'maxmind';
import { DbRole } from './geoip.config';
import { Ipv4Tree } from './geoip.tree';
import { MmdbInfo, verifyMmdb } from './mmdb.verify';

/** What one address looks like to the enricher, whichever databases said it. */
export interface GeoFields {
  co?: string;
  city?: string;
  lat?: number;
  lon?: number;
  as?: number;
  asorg?: string;
}

type Rec = Record<string, unknown>;
const obj = (v: unknown): Rec | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Reads the fields a role provides from one database record. MaxMind's
 * schema nests (`country.iso_code`, `city.names.en`, `location.latitude`);
 * the ip-location-db files are flat (`country_code`, `city`, `latitude`).
 */
export function extract(role: DbRole, r: Rec, language: string): GeoFields {
  // Every result has all six keys in one order, so the enricher reads them through one hidden class.
  let co: string | undefined;
  let city: string | undefined;
  let lat: number | undefined;
  let lon: number | undefined;
  let as: number | undefined;
  let asorg: string | undefined;
  if (role === 'cityDb' || role === 'countryDb') {
    co = str(obj(r.country)?.iso_code) ?? str(obj(r.registered_country)?.iso_code) ?? str(r.country_code);
    if (role === 'cityDb') {
      const c = obj(r.city);
      city = c ? str(obj(c.names)?.[language]) : str(r.city);
      const loc = obj(r.location);
      lat = num(loc ? loc.latitude : r.latitude);
      lon = num(loc ? loc.longitude : r.longitude);
    }
  } else {
    as = num(r.autonomous_system_number);
    asorg = str(r.autonomous_system_organization);
  }
  return { co, city, lat, lon, as, asorg };
}

/** Whether any field is set. */
export const hasField = (f: GeoFields): boolean =>
  f.co !== undefined ||
  f.city !== undefined ||
  f.lat !== undefined ||
  f.lon !== undefined ||
  f.as !== undefined ||
  f.asorg !== undefined;

/** Whether a record holds anything the role reads. */
function useful(role: DbRole, r: unknown): boolean {
  const o = obj(r);
  if (!o) return false;
  return hasField(extract(role, o, 'en')) || (role === 'cityDb' && obj(o.city) !== undefined);
}

const WHAT: Record<DbRole, string> = {
  cityDb: 'country, city or location',
  countryDb: 'country',
  asnDb: 'autonomous system',
  ispDb: 'autonomous system',
};

/** Identity of a file on disk, to notice a replacement. */
export interface FileStamp {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

export const sameStamp = (a?: FileStamp, b?: FileStamp): boolean =>
  !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** A bounded map used as the decoder's per-record cache: cleared whole when full (cheap, rare). */
class RecordCache {
  private readonly map = new Map<string | number, unknown>();
  constructor(private readonly max: number) {}
  get(k: string | number): unknown {
    return this.map.get(k);
  }
  set(k: string | number, v: unknown): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(k, v);
  }
}

/** Record pointers lookupV4() remembers before starting over (a city database has a few hundred thousand records). */
const MAX_RECORDS = 50_000;

/** One opened, fully checked database file. */
export class GeoDatabase {
  /** Fields per decoded record (the reader shares a record between the addresses it covers); null: none. */
  private readonly memo = new WeakMap<object, GeoFields | null>();
  /** Fields per record pointer of the search tree, for lookupV4(); null: none. */
  private readonly byRecord = new Map<number, GeoFields | null>();

  private constructor(
    readonly role: DbRole,
    readonly path: string,
    readonly info: MmdbInfo,
    readonly stamp: FileStamp,
    private readonly reader: Reader<Rec>,
    private readonly tree: Ipv4Tree,
    private readonly language: string,
  ) {}

  /**
   * Reads and checks a database file. Throws an Error whose message says
   * what is wrong (missing, unreadable, corrupt, or holding nothing this
   * role uses), ready to follow `<role>: `.
   */
  static async open(role: DbRole, path: string, language: string): Promise<GeoDatabase> {
    let buf: Buffer;
    let st: FileStamp;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new Error(`not a file: ${path}`);
      buf = await readFile(path);
      st = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new Error(`file not found: ${path}`);
      if (code === 'EACCES') throw new Error(`permission denied: ${path}`);
      throw new Error(`cannot read ${path}: ${(err as Error).message}`);
    }
    let info: MmdbInfo;
    try {
      info = verifyMmdb(buf);
    } catch (err) {
      throw new Error(`not a valid MaxMind DB file: ${path}: ${(err as Error).message}`);
    }
    if (!info.samples.some((r) => useful(role, r))) {
      throw new Error(`database "${info.databaseType}" holds no ${WHAT[role]} data: ${path}`);
    }
    const reader = new Reader<Rec>(buf, { cache: new RecordCache(50_000) });
    return new GeoDatabase(role, path, info, st, reader, new Ipv4Tree(buf, reader.metadata), language);
  }

  /**
   * The fields this database gives an address; undefined when it has no
   * entry or the entry holds none of them. Addresses that share a database
   * record share one result object: treat it as read-only.
   */
  lookup(addr: string): GeoFields | undefined {
    let r: Rec | null;
    try {
      r = this.reader.get(addr);
    } catch {
      return undefined; // not an address the reader can parse
    }
    if (!r || typeof r !== 'object') return undefined;
    let f = this.memo.get(r);
    if (f === undefined) {
      const x = extract(this.role, r, this.language);
      f = hasField(x) ? x : null;
      this.memo.set(r, f);
    }
    return f ?? undefined;
  }

  /**
   * lookup() for an address already parsed as IPv4 (`v4`, as parseIpv4 gives
   * it): the search tree is walked directly and the fields are kept per
   * database record, so the reader only decodes a record the first time.
   */
  lookupV4(v4: number, addr: string): GeoFields | undefined {
    const ptr = this.tree.find(v4);
    if (ptr === 0) return undefined;
    let f = this.byRecord.get(ptr);
    if (f === undefined) {
      f = this.lookup(addr) ?? null;
      if (this.byRecord.size >= MAX_RECORDS) this.byRecord.clear();
      this.byRecord.set(ptr, f);
    }
    return f ?? undefined;
  }

  /** The file's identity now, or undefined when it cannot be stat'ed (being replaced). */
  static async stampOf(path: string): Promise<FileStamp | undefined> {
    try {
      const s = await stat(path);
      return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      return undefined;
    }
  }
}
