import { parseIpv4, RecordCopier } from '@panoptes/flow';
import { HandlerService, isTextRecord, PluginContext, PluginError, textField } from '@panoptes/plugin-sdk';
import { ClockCache } from './geoip.cache';
import { DB_ROLES, DbRole, GeoipConfig } from './geoip.config';
import { GeoDatabase, GeoFields, sameStamp, FileStamp } from './geoip.database';
import { specialLabel, v4Label } from './special.ranges';

/**
 * What an address resolves to: a special-range label, database fields, or
 * nothing. Answers are shared (one object per label, per database record,
 * per combination of records) and never modified, so the cache holds
 * pointers to a few hot objects rather than one object per address.
 */
type Answer =
  ({ net: string } & Partial<Record<keyof GeoFields, undefined>>) | (GeoFields & { net?: undefined }) | null;

const SPECIAL = new Map<string, { net: string }>();
const specialAnswer = (net: string): { net: string } => {
  let a = SPECIAL.get(net);
  if (a === undefined) SPECIAL.set(net, (a = { net }));
  return a;
};

/** The first answer's fields, completed by the second's. */
const merge = (a: GeoFields, b: GeoFields): GeoFields => ({
  co: a.co ?? b.co,
  city: a.city ?? b.city,
  lat: a.lat ?? b.lat,
  lon: a.lon ?? b.lon,
  as: a.as ?? b.as,
  asorg: a.asorg ?? b.asorg,
});

/** The databases in use and the cache of their answers: swapped whole on reload. */
interface Generation {
  readonly dbs: readonly GeoDatabase[];
  readonly cache: ClockCache<Answer>;
}

type Flow = Record<string, unknown>;

/** An answer's fields, in the order labelSrc and labelDst add them (after `s` or `d`). */
const LABEL_FIELDS = ['co', 'city', 'lat', 'lon', 'as', 'asorg'] as const;

/** Every key a label adds. A record holding one reaches handle() parsed, never as text (see the manifest). */
export const LABEL_KEYS: readonly string[] = ['s', 'd'].flatMap((side) =>
  ['net', ...LABEL_FIELDS].map((k) => side + k),
);

const textSaddr = textField('saddr');
const textDaddr = textField('daddr');

/** A text record's object, or undefined when it is not JSON (it is then refused as not a flow record). */
function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Adds country, city, location and AS fields for both sides of each flow.
 * A replaced database file is checked off the hot path and swapped in between
 * two batches, so every record of a batch is labelled from one set of
 * databases and none waits or is dropped; a replacement that does not check
 * out is refused and the old database stays.
 */
export class GeoipEnricher implements HandlerService {
  private gen?: Generation;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  /** Files refused at their current identity, not retried until they change. */
  private readonly refused = new Map<DbRole, FileStamp>();
  /** Merged answers of several databases, per pair of shared per-database answers. */
  private readonly merged = new WeakMap<GeoFields, WeakMap<GeoFields, GeoFields>>();
  private readonly copier = new RecordCopier();
  /** Each shared answer's labels as JSON text, for the source and the destination side. */
  private readonly srcJson = new WeakMap<object, string>();
  private readonly dstJson = new WeakMap<object, string>();
  private figures = { lookups: 0, cacheHits: 0, labelled: 0, special: 0, reloads: 0, reloadFailures: 0 };

  constructor(
    private readonly config: GeoipConfig,
    private readonly ctx: PluginContext,
  ) {}

  async start(): Promise<void> {
    const dbs: GeoDatabase[] = [];
    for (const role of DB_ROLES) {
      const path = this.config[role];
      if (!path) continue;
      try {
        dbs.push(await GeoDatabase.open(role, path, this.config.language));
      } catch (err) {
        throw new PluginError(`${role}: ${(err as Error).message}`);
      }
    }
    if (dbs.length === 0)
      throw new PluginError('no database configured: name at least one of cityDb, countryDb, asnDb, ispDb');
    this.gen = { dbs, cache: new ClockCache(this.config.cacheSize) };
    for (const db of dbs) {
      this.ctx.log.info('geoip database loaded', {
        role: db.role,
        path: db.path,
        type: db.info.databaseType,
        built: db.info.buildEpoch,
      });
    }
    if (this.config.reloadCheckSec > 0) {
      this.timer = setInterval(() => void this.checkForUpdates(), this.config.reloadCheckSec * 1000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
    this.gen = undefined;
  }

  /**
   * Reopens every database whose file was replaced. The new set is built and
   * checked completely before one assignment swaps it in.
   */
  checkForUpdates(): Promise<void> {
    this.checking ??= this.reloadChanged().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async reloadChanged(): Promise<void> {
    const cur = this.gen;
    if (!cur) return;
    let changed = false;
    const next: GeoDatabase[] = [];
    for (const db of cur.dbs) {
      const now = await GeoDatabase.stampOf(db.path);
      if (!now || sameStamp(now, db.stamp) || sameStamp(now, this.refused.get(db.role))) {
        next.push(db);
        continue;
      }
      try {
        next.push(await GeoDatabase.open(db.role, db.path, this.config.language));
        this.refused.delete(db.role);
        changed = true;
        this.ctx.log.info('geoip database reloaded', { role: db.role, path: db.path });
      } catch (err) {
        this.refused.set(db.role, now);
        next.push(db);
        this.figures.reloadFailures++;
        this.ctx.count('reload_failures');
        this.ctx.log.error('geoip database replacement refused, keeping the loaded one', {
          role: db.role,
          error: (err as Error).message,
        });
      }
    }
    if (changed && this.gen === cur) {
      this.gen = { dbs: next, cache: new ClockCache(this.config.cacheSize) };
      this.figures.reloads++;
      this.ctx.count('reloads');
    }
  }

  async handle(records: unknown[]): Promise<void> {
    const gen = this.gen;
    if (!gen) throw new Error('enrich-geoip is not started');
    const out: unknown[] = [];
    const before = { ...this.figures };
    for (let r of records) {
      if (isTextRecord(r)) {
        // A text record (over Kafka) leaves as text: its addresses are read off
        // the text and the labels appended to it, with no parse and no encode.
        const labelled = this.labelText(gen, r);
        if (labelled !== undefined) {
          out.push(labelled);
          continue;
        }
        r = parseOrUndefined(r) ?? r;
      }
      if (
        !r ||
        typeof r !== 'object' ||
        typeof (r as Flow).saddr !== 'string' ||
        typeof (r as Flow).daddr !== 'string'
      ) {
        this.ctx.count('bad_records');
        await this.ctx.reject('not a flow record: saddr and daddr must be address strings', r);
        continue;
      }
      const as = this.answer(gen, (r as Flow).saddr as string);
      const ad = this.answer(gen, (r as Flow).daddr as string);
      if (as === null && ad === null) {
        out.push(r); // nothing to add: passed on as it came, never modified
        continue;
      }
      // A copy: the embedded bus hands the same objects to every group reading the topic.
      const f = this.copier.copy(r as Flow);
      this.labelSrc(f, as);
      this.labelDst(f, ad);
      out.push(f);
    }
    const d = this.figures;
    if (d.lookups > before.lookups) this.ctx.count('lookups', d.lookups - before.lookups);
    if (d.cacheHits > before.cacheHits) this.ctx.count('cache_hits', d.cacheHits - before.cacheHits);
    if (d.labelled > before.labelled) this.ctx.count('labels_added', d.labelled - before.labelled);
    if (d.special > before.special) this.ctx.count('special', d.special - before.special);
    this.ctx.gauge('cache_entries', gen.cache.size);
    await this.ctx.emit(out);
  }

  /**
   * Labels a text record: the record itself when there is nothing to add;
   * else its text with the labels inserted before the closing brace, which
   * is what JSON.stringify writes for the labelled copy, since a text record
   * holds none of the label keys (the bus parses a line holding one,
   * TextInput.parseIfKeys): they are added after its own keys, in order.
   * Undefined, with nothing looked up, when it lacks an address string.
   */
  private labelText(gen: Generation, text: string): unknown {
    const saddr = textSaddr(text);
    // Flow records name daddr after saddr: look there first.
    const daddr = saddr === undefined ? undefined : textDaddr(text, textSaddr.end);
    if (daddr === undefined) return undefined;
    const as = this.answer(gen, saddr!);
    const ad = this.answer(gen, daddr);
    if (as === null && ad === null) return text;
    this.countLabels(as);
    this.countLabels(ad);
    return text.slice(0, -1) + this.fragment(as, 's') + this.fragment(ad, 'd') + '}';
  }

  /** Counts the labels an answer adds, as labelSrc and labelDst do. */
  private countLabels(a: Answer): void {
    if (a === null) return;
    if (a.net !== undefined) {
      this.figures.special++;
      return;
    }
    for (const k of LABEL_FIELDS) if (a[k] !== undefined) this.figures.labelled++;
  }

  /** The labels of one side as JSON members, each after a comma: one string per shared answer and side. */
  private fragment(a: Answer, side: 's' | 'd'): string {
    if (a === null) return '';
    const bySide = side === 's' ? this.srcJson : this.dstJson;
    let j = bySide.get(a);
    if (j === undefined) {
      j = '';
      if (a.net !== undefined) j = `,"${side}net":${JSON.stringify(a.net)}`;
      else {
        for (const k of LABEL_FIELDS) {
          if (a[k] !== undefined) j += `,"${side}${k}":${JSON.stringify(a[k])}`;
        }
      }
      bySide.set(a, j);
    }
    return j;
  }

  /**
   * The cache keys an IPv4 address by its value (as a signed 32-bit integer,
   * which V8 holds unboxed): parsing the text is cheaper than hashing it, and
   * the number serves the search-tree walk on a miss. Other text is its own key.
   */
  private answer(gen: Generation, addr: string): Answer {
    const v4 = parseIpv4(addr);
    const key = v4 >= 0 ? v4 | 0 : addr;
    let a = gen.cache.get(key);
    if (a === undefined) {
      a = this.resolveParsed(gen, addr, v4);
      gen.cache.add(key, a);
    } else this.figures.cacheHits++;
    return a;
  }

  // Two copies with fixed property names: named stores keep records in V8's
  // fast (hidden class) mode; computed keys would push them to dictionary mode.
  private labelSrc(f: Flow, a: Answer): void {
    if (a === null) return;
    if ('net' in a) {
      f.snet = a.net;
      this.figures.special++;
      return;
    }
    let n = 0;
    if (a.co !== undefined) {
      f.sco = a.co;
      n++;
    }
    if (a.city !== undefined) {
      f.scity = a.city;
      n++;
    }
    if (a.lat !== undefined) {
      f.slat = a.lat;
      n++;
    }
    if (a.lon !== undefined) {
      f.slon = a.lon;
      n++;
    }
    if (a.as !== undefined) {
      f.sas = a.as;
      n++;
    }
    if (a.asorg !== undefined) {
      f.sasorg = a.asorg;
      n++;
    }
    this.figures.labelled += n;
  }

  private labelDst(f: Flow, a: Answer): void {
    if (a === null) return;
    if ('net' in a) {
      f.dnet = a.net;
      this.figures.special++;
      return;
    }
    let n = 0;
    if (a.co !== undefined) {
      f.dco = a.co;
      n++;
    }
    if (a.city !== undefined) {
      f.dcity = a.city;
      n++;
    }
    if (a.lat !== undefined) {
      f.dlat = a.lat;
      n++;
    }
    if (a.lon !== undefined) {
      f.dlon = a.lon;
      n++;
    }
    if (a.as !== undefined) {
      f.das = a.as;
      n++;
    }
    if (a.asorg !== undefined) {
      f.dasorg = a.asorg;
      n++;
    }
    this.figures.labelled += n;
  }

  /** Looks one address up in every database; the first to give a field wins. */
  resolve(gen: Generation | undefined, addr: string): Answer {
    gen ??= this.gen;
    if (!gen) throw new Error('enrich-geoip is not started');
    return this.resolveParsed(gen, addr, parseIpv4(addr));
  }

  /** resolve() for an address already parsed (`v4`: parseIpv4 of it), for the special ranges and the search trees. */
  private resolveParsed(gen: Generation, addr: string, v4: number): Answer {
    if (this.config.labelSpecial) {
      const net = v4 >= 0 ? v4Label(v4) : specialLabel(addr);
      if (net) return specialAnswer(net);
    }
    this.figures.lookups++;
    let out: GeoFields | null = null;
    for (const db of gen.dbs) {
      const g = v4 >= 0 ? db.lookupV4(v4, addr) : db.lookup(addr);
      if (g === undefined) continue;
      out = out === null ? g : this.mergeShared(out, g);
    }
    return out;
  }

  private mergeShared(a: GeoFields, b: GeoFields): GeoFields {
    let byB = this.merged.get(a);
    if (byB === undefined) this.merged.set(a, (byB = new WeakMap()));
    let m = byB.get(b);
    if (m === undefined) byB.set(b, (m = merge(a, b)));
    return m;
  }

  stats(): Record<string, number | string> {
    return {
      lookups: this.figures.lookups,
      cacheHits: this.figures.cacheHits,
      labelsAdded: this.figures.labelled,
      special: this.figures.special,
      reloads: this.figures.reloads,
      reloadFailures: this.figures.reloadFailures,
      databases: this.gen?.dbs.map((d) => `${d.role}=${d.info.databaseType}`).join(',') ?? '',
    };
  }
}
