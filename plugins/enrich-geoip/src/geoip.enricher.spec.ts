import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeMessage } from '@panoptes/bus';
import { PluginContext, textInputOf, validateConfig } from '@panoptes/plugin-sdk';
import { runPlugin } from '@panoptes/testing';
import { enrichGeoipPlugin, GeoipConfig, GeoipEnricher } from './index';
import { extract, GeoFields } from './geoip.database';
import { DbRole } from './geoip.config';
import { specialLabel } from './special.ranges';

const FIX = resolve(__dirname, '../../../test/fixtures/mmdb');
const db = (name: string) => join(FIX, `${name}.mmdb`);

/** A network from MaxMind's source JSON: first address, prefix, and the record. */
interface Net {
  first: bigint;
  last: bigint;
  v4: boolean;
  addr: string;
  record: Record<string, unknown>;
}

function toBig(addr: string): { v: bigint; v4: boolean } {
  if (!addr.includes(':')) return { v: addr.split('.').reduce((a, o) => a * 256n + BigInt(o), 0n), v4: true };
  const [head, tail] = addr.split('::');
  const parts = (s: string | undefined) => (s ? s.split(':') : []);
  const expand = (ps: string[]) =>
    ps.flatMap((p) =>
      p.includes('.')
        ? (([a, b, c, d]) => [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)])(p.split('.').map(Number))
        : [p],
    );
  const h = expand(parts(head));
  const t = tail === undefined ? [] : expand(parts(tail));
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { v: groups.reduce((a, g) => a * 65536n + BigInt(parseInt(g, 16)), 0n), v4: false };
}

function fromBig(v: bigint, v4: boolean): string {
  if (v4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const g: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) g.push(((v >> s) & 0xffffn).toString(16));
  return g.join(':');
}

/** Networks of a source JSON file; IPv4 written as `::a.b.c.d/(96+n)` becomes plain IPv4. */
function networks(name: string): Net[] {
  const rows = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as Record<string, Record<string, unknown>>[];
  return rows.flatMap((row) =>
    Object.entries(row).map(([cidr, record]) => {
      const [a, len] = cidr.split('/');
      const parsed = toBig(a);
      const { v } = parsed;
      let { v4 } = parsed;
      let bits = Number(len);
      if (!v4 && v < 2n ** 32n && bits >= 96) {
        v4 = true;
        bits -= 96;
      }
      const width = v4 ? 32 : 128;
      const size = 2n ** BigInt(width - bits);
      return { first: v, last: v + size - 1n, v4, addr: fromBig(v, v4), record };
    }),
  );
}

/**
 * The lookup table: the first address of every network that no other network
 * of the file also covers (so the expected record is unambiguous).
 */
function table(name: string): { addr: string; record: Record<string, unknown> }[] {
  const nets = networks(name);
  return nets
    .filter((n) => nets.filter((m) => m.v4 === n.v4 && m.first <= n.first && n.first <= m.last).length === 1)
    .map((n) => ({ addr: n.addr, record: n.record }));
}

const flow = (saddr: string, daddr: string, i = 0) => ({
  uid: `u${i}`,
  seq: 0,
  rtype: 'final',
  sid: 't',
  saddr,
  daddr,
  proto: 'tcp',
});

const sideFields = (f: Record<string, unknown>, s: 's' | 'd'): GeoFields => {
  const out: GeoFields = {};
  if (f[`${s}co`] !== undefined) out.co = f[`${s}co`] as string;
  if (f[`${s}city`] !== undefined) out.city = f[`${s}city`] as string;
  if (f[`${s}lat`] !== undefined) out.lat = f[`${s}lat`] as number;
  if (f[`${s}lon`] !== undefined) out.lon = f[`${s}lon`] as number;
  if (f[`${s}as`] !== undefined) out.as = f[`${s}as`] as number;
  if (f[`${s}asorg`] !== undefined) out.asorg = f[`${s}asorg`] as string;
  return out;
};
const defined = (g: GeoFields): GeoFields => JSON.parse(JSON.stringify(g)) as GeoFields;

describe('enrich-geoip config', () => {
  it('validates the default config with one database', () => {
    const r = validateConfig(GeoipConfig, { cityDb: '/x.mmdb' });
    expect(r.issues).toEqual([]);
    expect(r.value).toMatchObject({
      cityDb: '/x.mmdb',
      cacheSize: 100_000,
      reloadCheckSec: 60,
      language: 'en',
      labelSpecial: true,
    });
  });

  it('refuses bad values and unknown keys, every one', () => {
    const r = validateConfig(GeoipConfig, { cityDb: '', cacheSize: -1, colour: 'red' });
    expect(r.issues.map((i) => i.path).sort()).toEqual(['cacheSize', 'cityDb', 'colour']);
    expect(r.issues.find((i) => i.path === 'colour')!.message).toBe('unknown key "colour"');
  });

  it('preflight: no database, a missing file and a corrupt file are each a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoip-'));
    try {
      const bad = join(dir, 'cut.mmdb');
      writeFileSync(bad, readFileSync(db('GeoIP2-City-Test')).subarray(0, 9000));
      const asText = join(dir, 'text.mmdb');
      writeFileSync(asText, 'not a database\n');
      expect(await enrichGeoipPlugin.preflight!(validateConfig(GeoipConfig, {}).value!)).toEqual([
        { path: 'cityDb', message: 'no database configured: name at least one of cityDb, countryDb, asnDb, ispDb' },
      ]);
      const issues = await enrichGeoipPlugin.preflight!(
        validateConfig(GeoipConfig, {
          cityDb: join(dir, 'none.mmdb'),
          countryDb: bad,
          asnDb: asText,
          ispDb: db('GeoIP2-City-Test'),
        }).value!,
      );
      expect(issues).toEqual([
        { path: 'cityDb', message: `file not found: ${join(dir, 'none.mmdb')}` },
        { path: 'countryDb', message: expect.stringMatching(new RegExp(`^not a valid MaxMind DB file: ${bad}: `)) },
        {
          path: 'asnDb',
          message: expect.stringMatching(/^not a valid MaxMind DB file: .*: no MaxMind DB metadata marker/),
        },
        { path: 'ispDb', message: `database "GeoIP2-City" holds no autonomous system data: ${db('GeoIP2-City-Test')}` },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('start() refuses a missing database with the same message (never a mid-stream failure)', async () => {
    await expect(runPlugin(enrichGeoipPlugin, { asnDb: '/nonexistent/GeoLite2-ASN.mmdb' })).rejects.toThrow(
      'asnDb: file not found: /nonexistent/GeoLite2-ASN.mmdb',
    );
  });
});

describe('enrich-geoip values match the MaxMind test databases', () => {
  const cases: [DbRole, string][] = [
    ['cityDb', 'GeoIP2-City-Test'],
    ['countryDb', 'GeoIP2-Country-Test'],
    ['asnDb', 'GeoLite2-ASN-Test'],
    ['ispDb', 'GeoIP2-ISP-Test'],
  ];
  it.each(cases)('%s %s: every unambiguous network of the source JSON', async (role, name) => {
    const rows = table(name);
    const lookedUp = rows.filter((r) => !specialLabel(r.addr));
    expect(lookedUp.length).toBeGreaterThan(20);
    const flows = lookedUp.map((r, i) => flow(r.addr, lookedUp[(i + 1) % lookedUp.length].addr, i));
    const run = await runPlugin(enrichGeoipPlugin, { [role]: db(name) }, { input: [flows] });
    const out = run.outputs.flows as Record<string, unknown>[];
    expect(out).toHaveLength(flows.length);
    let labelled = 0;
    out.forEach((f, i) => {
      const exp = defined(extract(role, lookedUp[i].record, 'en'));
      const expD = defined(extract(role, lookedUp[(i + 1) % lookedUp.length].record, 'en'));
      expect({ addr: f.saddr, ...sideFields(f, 's') }).toEqual({ addr: lookedUp[i].addr, ...exp });
      expect(sideFields(f, 'd')).toEqual(expD);
      labelled += Object.keys(exp).length + Object.keys(expD).length;
    });
    expect(labelled).toBeGreaterThan(flows.length);
    expect(run.counters.labels_added).toBe(labelled);
  });

  it('spot values quoted in the data notes: 2.125.160.216 is GB/Boxford, 1.128.0.0 is AS1221 Telstra', async () => {
    const run = await runPlugin(
      enrichGeoipPlugin,
      { cityDb: db('GeoIP2-City-Test'), asnDb: db('GeoLite2-ASN-Test') },
      { input: [[flow('2.125.160.216', '1.128.0.0')]] },
    );
    expect(run.outputs.flows[0]).toMatchObject({ sco: 'GB', scity: 'Boxford', das: 1221, dasorg: 'Telstra Pty Ltd' });
  });

  it('combines databases: city fields from the city DB, AS fields from the ASN DB, first one wins', async () => {
    const city = table('GeoIP2-City-Test').filter(
      (r) => !specialLabel(r.addr) && (r.record.city as object | undefined),
    );
    const asn = new Map(table('GeoLite2-ASN-Test').map((r) => [r.addr, r.record]));
    const both = city.filter((r) => asn.has(r.addr));
    const addrs = (both.length ? both : city).slice(0, 20);
    const run = await runPlugin(
      enrichGeoipPlugin,
      { cityDb: db('GeoIP2-City-Test'), countryDb: db('GeoIP2-Country-Test'), asnDb: db('GeoLite2-ASN-Test') },
      { input: [addrs.map((r, i) => flow(r.addr, '2.125.160.216', i))] },
    );
    (run.outputs.flows as Record<string, unknown>[]).forEach((f, i) => {
      const c = defined(extract('cityDb', addrs[i].record, 'en'));
      expect(sideFields(f, 's')).toMatchObject(c);
      expect(f.scity).toBeDefined();
    });
  });

  it('labels special ranges in snet/dnet and looks none of them up', async () => {
    const pairs: [string, string][] = [
      ['10.1.2.3', '127.0.0.1'],
      ['192.168.0.9', '169.254.1.1'],
      ['fd00::1', 'ff02::1'],
      ['192.0.2.7', '2001:db8::1'],
      ['100.64.0.1', 'fe80::1'],
      ['::ffff:172.16.5.4', '224.0.0.251'],
    ];
    const run = await runPlugin(
      enrichGeoipPlugin,
      { cityDb: db('GeoIP2-City-Test') },
      { input: [pairs.map(([s, d], i) => flow(s, d, i))] },
    );
    const got = (run.outputs.flows as Record<string, unknown>[]).map((f) => [f.snet, f.dnet, f.sco, f.dco]);
    expect(got).toEqual([
      ['private', 'loopback', undefined, undefined],
      ['private', 'link-local', undefined, undefined],
      ['private', 'multicast', undefined, undefined],
      ['documentation', 'documentation', undefined, undefined],
      ['shared', 'link-local', undefined, undefined],
      ['private', 'multicast', undefined, undefined],
    ]);
    expect(run.counters.lookups ?? 0).toBe(0);
    expect(run.counters.special).toBe(12);
    // A part with a leading zero names no one address (inet_aton reads it as octal): not
    // taken for 10.1.2.3, exactly as the filter and the DNS table refuse it.
    expect(specialLabel('010.1.2.3')).toBeUndefined();
    expect(specialLabel('10.1.2.3')).toBe('private');
  });

  it('labels text records on their text, exactly as it labels the parsed records', async () => {
    const flows: Record<string, unknown>[] = [
      flow('2.125.160.216', '1.128.0.0', 0), // city labels one side, nothing for the other
      flow('10.1.2.3', '81.2.69.160', 1), // a special range and a city
      flow('02:00:00:00:00:01', '02:00:00:00:00:02', 2), // nothing to add: passed on as it came
      { ...flow('81.2.69.160', '2.125.160.216', 3), sco: 'XX' }, // a label already there: parsed, replaced in place
      { note: 'a "quoted" ,"saddr":"1.1.1.1" \\', ...flow('2.125.160.216', '81.2.69.160', 4) }, // a lookalike key first
      { uid: 'u5', seq: 0, daddr: '81.2.69.160' }, // no saddr: refused
    ];
    const config = { cityDb: db('GeoIP2-City-Test') };
    // The lines as the Kafka bus hands them to this plugin: text, but for the one holding a label key.
    const text = textInputOf(enrichGeoipPlugin.textInput!(config as GeoipConfig));
    const lines = decodeMessage(Buffer.from(flows.map((f) => JSON.stringify(f)).join('\n')), text).records;
    expect(lines.map((r) => typeof r)).toEqual(['string', 'string', 'string', 'object', 'string', 'string']);
    const asText = await runPlugin(enrichGeoipPlugin, config, { input: [lines] });
    const asObjects = await runPlugin(enrichGeoipPlugin, config, { input: [flows] });
    const out = asText.outputs.flows;
    expect(out.map((r) => typeof r)).toEqual(['string', 'string', 'string', 'object', 'string']);
    // The same records, the same figures, whichever way they came.
    expect(out.map((r) => (typeof r === 'string' ? JSON.parse(r) : r))).toEqual(asObjects.outputs.flows);
    expect(asText.counters).toEqual(asObjects.counters);
    expect(asText.rejected.map((x) => x.reason)).toEqual(asObjects.rejected.map((x) => x.reason));
    // A labelled text is what JSON.stringify writes for the labelled record.
    for (const i of [0, 1, 2, 4]) expect(out[i]).toBe(JSON.stringify(asObjects.outputs.flows[i]));
    expect(asObjects.outputs.flows[4]).toMatchObject({ saddr: '2.125.160.216', sco: 'GB' });
    expect(asObjects.outputs.flows[3]).toMatchObject({ sco: 'GB' });
  });

  it('caches: a repeated address is looked up once', async () => {
    const flows = Array.from({ length: 50 }, (_, i) => flow('2.125.160.216', '81.2.69.160', i));
    const run = await runPlugin(enrichGeoipPlugin, { cityDb: db('GeoIP2-City-Test') }, { input: [flows] });
    expect(run.counters.lookups).toBe(2);
    expect(run.counters.cache_hits).toBe(98);
    expect(new Set((run.outputs.flows as Record<string, unknown>[]).map((f) => `${f.sco}/${f.dco}`))).toEqual(
      new Set(['GB/GB']),
    );
  });

  it('dead-letters a record without addresses and keeps going; a MAC side gets no label', async () => {
    const run = await runPlugin(
      enrichGeoipPlugin,
      { cityDb: db('GeoIP2-City-Test') },
      {
        input: [[{ uid: 'x' }, 'garbage', flow('02:00:00:00:00:01', '2.125.160.216')]],
      },
    );
    expect(run.rejected.map((r) => r.reason)).toEqual([
      'not a flow record: saddr and daddr must be address strings',
      'not a flow record: saddr and daddr must be address strings',
    ]);
    expect(run.outputs.flows).toHaveLength(1);
    expect(run.outputs.flows[0]).toMatchObject({ dco: 'GB' });
    expect((run.outputs.flows[0] as Record<string, unknown>).sco).toBeUndefined();
    expect(run.counters.bad_records).toBe(2);
  });
});

describe('enrich-geoip reload', () => {
  function context(out: Record<string, unknown>[][], counters: Record<string, number>): PluginContext {
    return {
      id: 'geo',
      inputs: { flows: 'flows.raw' },
      outputs: { flows: 'flows.geo' },
      log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
      emit: async (records) => void out.push(records as Record<string, unknown>[]),
      reject: async () => {},
      count: (n, by = 1) => void (counters[n] = (counters[n] ?? 0) + by),
      gauge: (n, v) => void (counters[n] = v),
    };
  }

  it('swaps a replaced file under load: no record lost, none half-labelled, a bad replacement refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoip-reload-'));
    try {
      const path = join(dir, 'geo.mmdb');
      copyFileSync(db('GeoIP2-City-Test'), path);
      const out: Record<string, unknown>[][] = [];
      const counters: Record<string, number> = {};
      const config = validateConfig(GeoipConfig, { cityDb: path, reloadCheckSec: 0 }).value!;
      const e = new GeoipEnricher(config, context(out, counters));
      await e.start();
      // Addresses with a city in the City DB: the Country DB swapped in has none, so each
      // record shows which generation labelled it, and a mixed one is visible.
      const rows = table('GeoIP2-City-Test').filter((r) => !specialLabel(r.addr) && r.record.city);
      const oldExp = new Map(rows.map((r) => [r.addr, defined(extract('cityDb', r.record, 'en'))]));
      const country = new Map(table('GeoIP2-Country-Test').map((r) => [r.addr, r.record]));
      const usable = rows.filter((r) => country.has(r.addr));
      expect(usable.length).toBeGreaterThan(5);
      const newExp = new Map(usable.map((r) => [r.addr, defined(extract('countryDb', country.get(r.addr)!, 'en'))]));
      let fed = 0;
      let stop = false;
      const feeder = (async () => {
        let after = 0;
        for (let b = 0; after < 3; b++) {
          if (stop) after++;
          const batch = usable.map((r, i) => flow(r.addr, usable[(i + b) % usable.length].addr, fed + i));
          fed += batch.length;
          await e.handle(batch);
          await new Promise((r) => setImmediate(r));
          // A guard against a hang, not a time limit: the swap waits on file I/O while batches
          // go through, as many as the machine's speed and load make it.
          if (b > 50_000) throw new Error('reload never happened');
        }
      })();
      const swapper = (async () => {
        await new Promise((r) => setImmediate(r));
        // A truncated replacement is refused and the loaded database stays.
        writeFileSync(join(dir, 'cut.tmp'), readFileSync(db('GeoIP2-Country-Test')).subarray(0, 5000));
        renameSync(join(dir, 'cut.tmp'), path);
        await e.checkForUpdates();
        expect(counters.reload_failures).toBe(1);
        // The good one is swapped in.
        copyFileSync(db('GeoIP2-Country-Test'), join(dir, 'new.tmp'));
        renameSync(join(dir, 'new.tmp'), path);
        await e.checkForUpdates();
        stop = true;
      })();
      await Promise.all([feeder, swapper]);
      await e.stop();
      const all = out.flat();
      expect(all).toHaveLength(fed);
      expect(new Set(all.map((f) => f.uid)).size).toBe(fed);
      let olds = 0;
      let news = 0;
      let seenNew = false;
      for (const f of all) {
        const s = sideFields(f, 's');
        const d = sideFields(f, 'd');
        const isOld = s.city !== undefined;
        if (isOld) {
          expect(seenNew).toBe(false);
          expect([s, d]).toEqual([oldExp.get(f.saddr as string), oldExp.get(f.daddr as string)]);
          olds++;
        } else {
          seenNew = true;
          expect([s, d]).toEqual([newExp.get(f.saddr as string), newExp.get(f.daddr as string)]);
          news++;
        }
      }
      expect(olds).toBeGreaterThan(0);
      expect(news).toBeGreaterThanOrEqual(3 * usable.length);
      expect(counters.reloads).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
