import { readFile, stat } from 'node:fs/promises';
import { Reader } from 'maxmind';
import { DbRole } from './geoip.config';
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
  const out: GeoFields = {};
  if (role === 'cityDb' || role === 'countryDb') {
    out.co = str(obj(r.country)?.iso_code) ?? str(obj(r.registered_country)?.iso_code) ?? str(r.country_code);
    if (role === 'cityDb') {
      const city = obj(r.city);
      out.city = city ? str(obj(city.names)?.[language]) : str(r.city);
      const loc = obj(r.location);
      out.lat = num(loc ? loc.latitude : r.latitude);
      out.lon = num(loc ? loc.longitude : r.longitude);
    }
  } else {
    out.as = num(r.autonomous_system_number);
    out.asorg = str(r.autonomous_system_organization);
  }
  return out;
}

/** Whether a record holds anything the role reads. */
function useful(role: DbRole, r: unknown): boolean {
  const o = obj(r);
  if (!o) return false;
  const f = extract(role, o, 'en');
  return Object.values(f).some((v) => v !== undefined) || (role === 'cityDb' && obj(o.city) !== undefined);
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

/** One opened, fully checked database file. */
export class GeoDatabase {
  private readonly memo = new WeakMap<object, GeoFields>();

  private constructor(
    readonly role: DbRole,
    readonly path: string,
    readonly info: MmdbInfo,
    readonly stamp: FileStamp,
    private readonly reader: Reader<Rec>,
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
    return new GeoDatabase(role, path, info, st, reader, language);
  }

  /** The fields this database gives an address; undefined when it has no entry. */
  lookup(addr: string): GeoFields | undefined {
    let r: Rec | null;
    try {
      r = this.reader.get(addr);
    } catch {
      return undefined; // not an address the reader can parse
    }
    if (!r || typeof r !== 'object') return undefined;
    let f = this.memo.get(r);
    if (!f) {
      f = extract(this.role, r, this.language);
      this.memo.set(r, f);
    }
    return f;
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
