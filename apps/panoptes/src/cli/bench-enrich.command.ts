import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { benchGroup } from './bench.command';
import { seededRandom } from '@panoptes/flow';
import type { PluginContext } from '@panoptes/plugin-sdk';
import { repoRoot } from '../runtime/paths';
import { setExitCode } from './program';

interface BenchEnrichOptions {
  flows: string;
  servers: string;
  batch: string;
  cityDb?: string;
  countryDb?: string;
  asnDb?: string;
  cache: string;
  rounds: string;
}

/**
 * `panoptes bench enrich`: GeoIP + DNS enrichment on one core, the two
 * plugins chained in-process as the host runs them (records copied, batches
 * emitted), without the bus. Prints one JSON line.
 *
 * Every pass gets records of its own, whose strings (addresses, uid, proto,
 * ...) are new string objects made from bytes, as the native sensor and
 * JSON.parse deliver them. Records whose strings are shared, or met in an
 * earlier pass, flatter the enrichers: V8 keeps a string's hash, and the
 * unique (internalized) form a property lookup makes of it, on the string
 * object itself, so a lookup with a string seen before skips the hashing and
 * the string table. Each batch is built just before it is handled, outside
 * the timed part, so the records are young as the sensor's are.
 */
export function registerBenchEnrich(program: Command): void {
  const bench = benchGroup(program);
  bench
    .command('enrich')
    .description('enrich synthetic flows with enrich-geoip then enrich-dns: {flows, seconds, flowsPerSec, ...}')
    .option('--flows <n>', 'flow records to enrich', '2000000')
    .option('--servers <n>', 'distinct server addresses the flows go to (sets the cache hit ratio)', '200000')
    .option('--batch <n>', 'records per batch', '1000')
    .option('--country-db <file>', 'country database (default: ../shared/data/mmdb/full-real/iptoasn-country.mmdb)')
    .option('--city-db <file>', 'city database')
    .option('--asn-db <file>', 'ASN database')
    .option('--cache <n>', 'enrich-geoip cacheSize', '100000')
    .option(
      '--rounds <n>',
      'repeat the three timed passes n times and report the fastest of each (on a busy machine)',
      '1',
    )
    .action(async (opts: BenchEnrichOptions, cmd: Command) => setExitCode(cmd, await benchEnrich(opts)));
}

const scratch = Buffer.alloc(256);
/** A new flat string with the text of `s`, made from bytes as the sensor makes its strings. */
const fresh = (s: string): string => scratch.toString('latin1', 0, scratch.write(s, 'latin1'));

function context(sink: { out: unknown[] }): PluginContext {
  return {
    id: 'bench',
    inputs: {},
    outputs: {},
    log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
    emit: async (records: unknown[], port?: string) => {
      if (port !== 'alerts') sink.out = records;
    },
    reject: async () => {},
    count: () => {},
    gauge: () => {},
  };
}

async function benchEnrich(o: BenchEnrichOptions): Promise<number> {
  // Loaded here so that other commands start without them.
  const { validateConfig } = await import('@panoptes/plugin-sdk');
  const { GeoipConfig, GeoipEnricher } = await import('@panoptes/plugin-enrich-geoip');
  const { DnsEnrichConfig, DnsEnricher } = await import('@panoptes/plugin-enrich-dns');
  const n = Number(o.flows);
  const nServers = Number(o.servers);
  const batchSize = Number(o.batch);
  const rounds = Math.max(1, Math.floor(Number(o.rounds) || 1));
  const countryDb =
    o.countryDb ??
    (o.cityDb ? undefined : join(repoRoot(), '..', 'shared', 'data', 'mmdb', 'full-real', 'iptoasn-country.mmdb'));
  if (countryDb && !existsSync(countryDb)) {
    process.stderr.write(
      `panoptes bench enrich: no country database at ${countryDb}: pass --country-db or --city-db\n`,
    );
    return 1;
  }
  const geoCfg = validateConfig(GeoipConfig, {
    countryDb,
    cityDb: o.cityDb,
    asnDb: o.asnDb,
    cacheSize: Number(o.cache),
    reloadCheckSec: 0,
  });
  const dnsCfg = validateConfig(DnsEnrichConfig, { alignWaitMs: 0 });
  if (!geoCfg.value || !dnsCfg.value) {
    process.stderr.write(`panoptes bench enrich: ${JSON.stringify([...geoCfg.issues, ...dnsCfg.issues])}\n`);
    return 1;
  }
  const geoOut = { out: [] as unknown[] };
  const dnsOut = { out: [] as unknown[] };
  const geo = new GeoipEnricher(geoCfg.value, context(geoOut));
  const dns = new DnsEnricher(dnsCfg.value, context(dnsOut));
  await geo.start();
  await dns.start();

  // Servers: routable IPv4 (and a tenth IPv6) addresses; clients: private and public.
  const rand = seededRandom(1);
  const ip4 = () =>
    `${1 + Math.floor(rand() * 222)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
  const ip6 = () =>
    `2a0${Math.floor(rand() * 9)}:${Math.floor(rand() * 65536).toString(16)}:${Math.floor(rand() * 65536).toString(16)}::${Math.floor(rand() * 65536).toString(16)}`;
  const servers = Array.from({ length: nServers }, (_, i) => (i % 10 === 9 ? ip6() : ip4()));
  const clients = Array.from({ length: 20_000 }, (_, i) =>
    i % 2 ? `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` : ip4(),
  );
  const t0 = 1_700_000_000;
  // Passive DNS: 60% of the servers were resolved by their clients first.
  const answers = servers
    .filter((_, i) => i % 5 < 3)
    .map((s, i) => ({
      time: t0,
      sid: 'bench',
      client: fresh(clients[i % clients.length]),
      server: fresh('8.8.8.8'),
      qname: `host${i}.example.com`,
      qtype: 'A',
      rcode: 'NOERROR',
      answers: [{ name: `host${i}.example.com`, type: s.includes(':') ? 'AAAA' : 'A', ttl: 3600, data: fresh(s) }],
    }));
  for (let i = 0; i < answers.length; i += batchSize) await dns.handle(answers.slice(i, i + batchSize), 'dns');

  // Skewed server popularity (a few servers get most flows), as on real links.
  // The choices are drawn once; every pass builds its records from them.
  const serverOf = new Int32Array(n);
  const clientOf = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const si = Math.floor(nServers * rand() ** 3);
    serverOf[j] = si;
    clientOf[j] = si % 5 < 3 ? (si * 3) % clients.length : Math.floor(rand() * clients.length);
  }
  const batch = (i: number): Record<string, unknown>[] => {
    const b: Record<string, unknown>[] = [];
    for (let j = i; j < Math.min(n, i + batchSize); j++) {
      b.push({
        uid: fresh(`f${j}`),
        seq: 0,
        rtype: fresh('final'),
        sid: fresh('bench'),
        stime: t0 + 1 + j / 1e5,
        ltime: t0 + 2 + j / 1e5,
        dur: 1,
        proto: fresh('tcp'),
        saddr: fresh(clients[clientOf[j]]),
        sport: 1024 + (j % 60000),
        dir: fresh('->'),
        daddr: fresh(servers[serverOf[j]]),
        dport: 443,
        spkts: 10,
        dpkts: 12,
        sbytes: 1500,
        dbytes: 9000,
      });
    }
    return b;
  };

  /** Seconds spent in the plugins (building the records is not counted). */
  const run = async (stages: ('geo' | 'dns')[]): Promise<number> => {
    let ns = 0n;
    for (let i = 0; i < n; i += batchSize) {
      let cur: unknown[] = batch(i);
      const start = process.hrtime.bigint();
      for (const s of stages) {
        if (s === 'geo') {
          await geo.handle(cur);
          cur = geoOut.out;
        } else {
          await dns.handle(cur, 'flows');
          cur = dnsOut.out;
        }
      }
      ns += process.hrtime.bigint() - start;
    }
    return Number(ns) / 1e9;
  };
  await run(['geo', 'dns']); // warm-up: JIT, caches
  // geo alone, dns alone, then both chained; with --rounds, the fastest of each.
  let geoSec = Infinity;
  let dnsSec = Infinity;
  let bothSec = Infinity;
  for (let r = 0; r < rounds; r++) {
    geoSec = Math.min(geoSec, await run(['geo']));
    dnsSec = Math.min(dnsSec, await run(['dns']));
    bothSec = Math.min(bothSec, await run(['geo', 'dns']));
  }
  const last = dnsOut.out as Record<string, unknown>[];
  const gs = geo.stats();
  await dns.stop();
  await geo.stop();
  const line = {
    flows: n,
    servers: nServers,
    rounds,
    databases: gs.databases,
    seconds: Number(bothSec.toFixed(3)),
    flowsPerSec: Math.round(n / bothSec),
    geoOnlyFlowsPerSec: Math.round(n / geoSec),
    dnsOnlyFlowsPerSec: Math.round(n / dnsSec),
    // The warm-up and, per round, geo alone and both went through enrich-geoip, two sides each.
    geoCacheHitRatio: Number((Number(gs.cacheHits) / ((1 + 2 * rounds) * 2 * n)).toFixed(3)),
    sampleLabelled: {
      dco: last.filter((f) => f.dco).length,
      dname: last.filter((f) => f.dname).length,
      of: last.length,
    },
    peakRssMiB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return 0;
}
