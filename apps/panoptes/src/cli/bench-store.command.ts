import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { benchGroup } from './bench.command';
import type * as StoreModule from '@panoptes/store';
import { genPcapScript } from '../runtime/paths';
import { setLogLevel } from '../runtime/logger';
import { setExitCode } from './program';

interface BenchStoreOptions {
  records: string;
  runs: string;
  db?: string;
  fresh?: boolean;
  racluster: boolean;
}

const TOP = '/api/v1/flows/aggregate?by=saddr&metrics=bytes,pkts,count&top=20';
/** The same top 20 through SQL over the tables (a range given, so the running totals do not answer). */
const TOP_SQL = `${TOP}&from=0`;
const PAGE = `/api/v1/flows?filter=${encodeURIComponent('tcp and dst port 443')}&limit=100`;

/**
 * `panoptes bench store`: a store of N synthetic records (10 M by default,
 * generated straight into the DuckDB file, kept for later runs), served by
 * the real host, and the p50/p95 latency over HTTP of (1) the top 20
 * sources by bytes over the whole range and (2) a filtered page of 100
 * flows. Beside it, racluster's time for the same top 20 on an argus file
 * of about as many records. Prints one JSON line.
 */
export function registerBenchStore(program: Command): void {
  const bench = benchGroup(program);
  bench
    .command('store')
    .description(
      'p50/p95 over HTTP of a top-20 aggregate and a filtered page of 100 on a store of 10 M flow records, beside racluster',
    )
    .option('--records <n>', 'records in the store', '10000000')
    .option('--runs <n>', 'timed requests per query', '50')
    .option('--db <file>', 'store file (default: kept in the temp folder per size)')
    .option('--fresh', 'generate the store again even when the file exists')
    .option('--no-racluster', 'skip racluster')
    .action(async (opts: BenchStoreOptions, cmd: Command) => setExitCode(cmd, await benchStore(opts)));
}

// DuckDB, Nest and the plugins load when this benchmark runs, not at every CLI start.
const store = (): Promise<typeof StoreModule> => import('@panoptes/store');

async function benchStore(opts: BenchStoreOptions): Promise<number> {
  const { acquireFlowStore, generateSyntheticFlows } = await store();
  const { parseConfig } = await import('../config/config.loader');
  const { PluginHost } = await import('../runtime/plugin-host');
  const { startApi } = await import('../api/api.server');
  const records = Math.max(6, Number(opts.records) || 10_000_000);
  const runs = Math.max(5, Number(opts.runs) || 50);
  const dir = join(tmpdir(), 'panoptes-bench');
  mkdirSync(dir, { recursive: true });
  const db = opts.db ?? join(dir, `store-${records}.duckdb`);
  const say = (m: string) => process.stderr.write(`panoptes bench store: ${m}\n`);
  setLogLevel('warn');

  let generateSec: number | undefined;
  if (opts.fresh || !existsSync(db)) {
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
    say(`generating ${records} records into ${db}`);
    const t0 = Date.now();
    const part = `${db}.part`;
    rmSync(part, { force: true });
    const lease = await acquireFlowStore(part);
    await generateSyntheticFlows(lease.store, records, (n) => say(`${n} records`));
    await lease.release();
    renameSync(part, db);
    generateSec = (Date.now() - t0) / 1000;
  }

  const key = randomBytes(16).toString('hex');
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  const config = parseConfig(
    `api: { listen: "127.0.0.1:0", keys: { read: [${key}] }, rateLimitPerSec: 100000, rateLimitBurst: 100000 }
plugins:
  - { id: none, use: source-jsonl, output: flows.raw, with: { path: ${empty} } }
  - { id: store, use: sink-store, input: flows.raw, with: { path: ${db} } }
`,
    'bench',
  );
  const host = new PluginHost(config);
  const api = await startApi(host, config.raw.api);
  let result: Record<string, unknown>;
  try {
    await host.start();
    const counts = await (await acquireFlowStore(db)).store.counts();
    const get = async (path: string): Promise<number> => {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${api.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
      const body = (await res.json()) as { groups?: unknown[]; flows?: unknown[] };
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.status !== 200 || !(body.groups ?? body.flows)?.length)
        throw new Error(`${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      return ms;
    };
    const time = async (path: string) => {
      for (let i = 0; i < 3; i++) await get(path);
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) ms.push(await get(path));
      ms.sort((a, b) => a - b);
      const pct = (p: number) =>
        Math.round(ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)] * 10) / 10;
      return { p50Ms: pct(50), p95Ms: pct(95), runs };
    };
    say(`timing ${runs} requests each over HTTP`);
    result = {
      bench: 'store',
      db,
      records: counts.records,
      flows: counts.flows,
      dbBytes: counts.usedBytes,
      generateSec,
      top20BySaddr: { request: TOP, ...(await time(TOP)), targetP50Ms: 100 },
      top20BySaddrSql: { request: TOP_SQL, ...(await time(TOP_SQL)), targetP50Ms: 100 },
      filteredPage100: { request: PAGE, ...(await time(PAGE)), targetP50Ms: 20 },
    };
  } finally {
    await host.stop();
    await api.close();
  }
  say('timing appends');
  result.append = await appendRate(dir);
  if (opts.racluster) result.racluster = raclusterTop20(dir, records, say);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

/**
 * Records/s through FlowStore.append (dedup check, merge, commit) in
 * batches of 10 000 into a new file: 240 000 records, one flow in five with
 * a status and a final record, the sensor's usual fields.
 */
async function appendRate(dir: string): Promise<object> {
  const { acquireFlowStore } = await store();
  const path = join(dir, `append-${process.pid}.duckdb`);
  const lease = await acquireFlowStore(path);
  const batch = 10_000;
  const total = 240_000;
  let ms = 0;
  try {
    for (let b = 0; b < total / batch; b++) {
      const recs = Array.from({ length: batch }, (_, j) => {
        const i = b * batch + j;
        const flow = Math.floor(i / 6) * 5 + Math.max(0, (i % 6) - 1);
        const seq = i % 6 === 1 ? 1 : 0;
        return {
          uid: `a${flow}`,
          seq,
          rtype: i % 6 === 0 ? 'status' : 'final',
          sid: 'bench',
          stime: 1.7e9 + i / 100,
          ltime: 1.7e9 + i / 100 + 1,
          dur: 1,
          proto: 'tcp',
          saddr: `10.0.${(i >> 8) & 255}.${i & 255}`,
          sport: 1024 + (i % 60000),
          dir: '->',
          daddr: `198.18.0.${i % 200}`,
          dport: 443,
          spkts: 3,
          dpkts: 4,
          sbytes: 300,
          dbytes: 4000,
          sappbytes: 100,
          dappbytes: 3700,
          state: 'FIN',
          stcpflgs: 'FSPA',
          dtcpflgs: 'FSPA',
          sttl: 64,
          dttl: 57,
          swin: 64240,
          dwin: 65535,
          tcprtt: 0.01,
          synack: 0.006,
          ackdat: 0.004,
          smeansz: 100,
          dmeansz: 1000,
          cid: '1:abc',
        };
      });
      const t0 = process.hrtime.bigint();
      await lease.store.append(recs);
      ms += Number(process.hrtime.bigint() - t0) / 1e6;
    }
  } finally {
    await lease.release();
    rmSync(path, { force: true });
    rmSync(`${path}.wal`, { force: true });
  }
  return { records: total, batch, recordsPerSec: Math.round(total / (ms / 1000)) };
}

/**
 * racluster -m saddr, ranked by bytes, top 20, on an argus file of about
 * `records` records: the standard gen-pcap capture (100 000 flows) metered
 * by argus, written out again as many times as it takes (made once, kept).
 */
function raclusterTop20(dir: string, records: number, say: (m: string) => void): object {
  try {
    const std = join(dir, 'std-100000-128-1.argus');
    if (!existsSync(std)) {
      const pcap = join(dir, 'std-100000-128-1.pcap');
      say(`making ${std} (once)`);
      execFileSync(
        'python3',
        [genPcapScript(), '--flows', '100000', '--snaplen', '128', '--seed', '1', '--out', pcap],
        {
          stdio: 'ignore',
        },
      );
      execFileSync('argus', ['-r', pcap, '-w', `${std}.part`], { stdio: 'ignore' });
      renameSync(`${std}.part`, std);
    }
    const per =
      execFileSync('ra', ['-r', std, '-n', '-s', 'stime'], { maxBuffer: 1 << 28, encoding: 'utf8' })
        .trim()
        .split('\n').length - 1;
    const copies = Math.max(1, Math.round(records / per));
    const big = join(dir, `argus-${copies}x.argus`);
    if (!existsSync(big)) {
      say(`writing ${big}: ${copies} copies of ${per} records`);
      execFileSync('ra', [...Array.from({ length: copies }, () => ['-r', std]).flat(), '-w', `${big}.part`], {
        stdio: 'ignore',
      });
      renameSync(`${big}.part`, big);
    }
    const cmd = `racluster -m saddr -r '${big}' -w - | rasort -m bytes -r - -n -s saddr bytes pkts trans | head -21`;
    const times: number[] = [];
    let top = '';
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 24 });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0 && !r.stdout) throw new Error(`racluster failed: ${r.stderr}`);
      top = r.stdout;
    }
    times.sort((a, b) => a - b);
    return {
      records: per * copies,
      file: big,
      runs: 3,
      bestMs: Math.round(times[0]),
      medianMs: Math.round(times[1]),
      top3: top
        .trim()
        .split('\n')
        .slice(1, 4)
        .map((l) => l.trim()),
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
