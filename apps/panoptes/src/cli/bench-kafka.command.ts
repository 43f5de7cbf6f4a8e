import { ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  createWriteStream,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { benchGroup } from './bench.command';
import { repoRoot } from '../runtime/paths';
import { setExitCode } from './program';

interface BenchKafkaOptions {
  records: string;
  brokers?: string;
  mode: string;
  partitions: string;
  compression: string;
  recordsPerMessage: string;
  nodeOptions: string;
  warmup: string;
  keep?: boolean;
}

/**
 * A young generation of 64 MiB semi-spaces instead of V8's 16 MiB: a role holds
 * a few thousand freshly decoded records across each broker round trip, which
 * with the default survive into the old generation and cost a full collection
 * later (a fifth of the transform's CPU). Set on the role processes only.
 */
const ROLE_NODE_OPTIONS = '--max-semi-space-size=64';

/**
 * `panoptes bench kafka`: flow records per second through
 * source-jsonl -> Kafka -> enrich-geoip -> Kafka -> sink-file, each role in its
 * own `panoptes run --only` process (or all in one with --mode single), on a
 * real broker (the project's test broker unless --brokers is given), after a
 * warm-up through the same processes. recordsPerSec runs from the source
 * process's start until the sink has written every record;
 * steadyRecordsPerSec from the sink's first measured record to its last (no
 * process start-up, no pipeline fill). Prints one JSON line, with the Node.js
 * flags the roles ran with.
 */
export function registerBenchKafka(program: Command): void {
  const bench = benchGroup(program);
  bench
    .command('kafka')
    .description(
      'source -> Kafka -> transform -> Kafka -> sink-file: {records, seconds, recordsPerSec, avgRecordBytes, ...}',
    )
    .option('--records <n>', 'flow records to push through', '1000000')
    .option('--brokers <list>', 'bootstrap brokers (default: start the test broker, test/kafka/broker.sh)')
    .option('--mode <mode>', 'processes (one per role) or single (all roles in one process)', 'processes')
    .option('--partitions <n>', 'partitions per topic', '6')
    .option('--compression <c>', 'none, gzip or lz4', 'lz4')
    .option('--records-per-message <n>', 'records packed per Kafka message', '1000')
    .option('--node-options <flags>', 'Node.js flags of the role processes ("" for none)', ROLE_NODE_OPTIONS)
    .option(
      '--warmup <n>',
      'records pushed through the same processes and broker before the clock starts (0: measure cold)',
      '1000000',
    )
    .option('--keep', 'keep the work folder (config, input, output)')
    .action(async (opts: BenchKafkaOptions, cmd: Command) => setExitCode(cmd, await benchKafka(opts)));
}

async function benchKafka(opts: BenchKafkaOptions): Promise<number> {
  const records = Number(opts.records);
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-bench-kafka-'));
  const { startKafkaBroker } = await import('@panoptes/testing');
  const broker = opts.brokers ? undefined : await startKafkaBroker();
  const brokers = opts.brokers ? opts.brokers.split(',') : broker!.brokers;
  const children: ChildProcess[] = [];
  try {
    const warmup = opts.mode === 'single' ? 0 : Number(opts.warmup);
    // One set of topics and groups for the warm-up and the measured run.
    const prefix = `bench-${process.pid}-${Date.now().toString(36)}.`;
    const input = join(dir, 'in.jsonl');
    const inputBytes = await writeInput(input, records);
    const output = join(dir, 'out.jsonl');
    const cfg = join(dir, 'bench.yaml');
    writeFileSync(cfg, config(opts, brokers, prefix, input, output));
    const lines = new LineCounter(output);
    // When the sink first wrote more than `from` lines, and how many it had then.
    let first: { at: number; lines: number } | undefined;
    const until = async (count: number, source: ChildProcess, from = Infinity): Promise<void> => {
      for (let n = lines.count(); n < count; n = lines.count()) {
        if (n > from && !first) first = { at: Date.now(), lines: n };
        if (source.exitCode !== null && source.exitCode !== 0) throw new Error(`source exited ${source.exitCode}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    let source: ChildProcess;
    let started: number;
    if (opts.mode === 'single') {
      started = Date.now();
      source = role(children, cfg, [], opts.nodeOptions);
    } else {
      await Promise.all([
        ready(role(children, cfg, ['--only', 'sink'], opts.nodeOptions)),
        ready(role(children, cfg, ['--only', 'geo'], opts.nodeOptions)),
      ]);
      if (warmup > 0) {
        // Steady state: the broker's JIT and the roles' are warm, as in a pipeline that runs for days.
        // A fresh broker's C2 compiler is still busy after 200,000 records: its CPU per million
        // records was about 7 s then, 5.3-5.9 s after 1,000,000, and 2-2.7 s warmed over later runs.
        const warmInput = join(dir, 'warmup.jsonl');
        await writeInput(warmInput, warmup);
        const warmCfg = join(dir, 'warmup.yaml');
        writeFileSync(warmCfg, config(opts, brokers, prefix, warmInput, output));
        await until(warmup, role(children, warmCfg, ['--only', 'source'], opts.nodeOptions));
      }
      started = Date.now();
      source = role(children, cfg, ['--only', 'source'], opts.nodeOptions);
    }
    await until(warmup + records, source, warmup);
    const ended = Date.now();
    const seconds = (ended - started) / 1000;
    // The rate once records flow: from the first measured record at the sink to the last,
    // without the source process's start-up and the pipeline's fill (about half a second).
    const flowing = first && ended > first.at ? (warmup + records - first.lines) / ((ended - first.at) / 1000) : NaN;
    const line = {
      bench: 'kafka',
      mode: opts.mode,
      records,
      seconds: Number(seconds.toFixed(3)),
      recordsPerSec: Math.round(records / seconds),
      steadyRecordsPerSec: Math.round(flowing),
      avgRecordBytes: Math.round(inputBytes / records),
      avgOutputRecordBytes: Math.round(statSync(output).size / (warmup + records)),
      warmupRecords: warmup,
      partitions: Number(opts.partitions),
      compression: opts.compression,
      recordsPerMessage: Number(opts.recordsPerMessage),
      nodeOptions: opts.nodeOptions,
      cores: cpus().length,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`panoptes bench kafka: ${(err as Error).message}\n`);
    return 1;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await broker?.dispose();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

function config(opts: BenchKafkaOptions, brokers: string[], prefix: string, input: string, output: string): string {
  const fixtures = join(repoRoot(), 'test', 'fixtures', 'mmdb');
  return `bus: { type: kafka, brokers: [${brokers.join(', ')}], topicPrefix: ${prefix}, groupPrefix: ${prefix}, partitions: ${opts.partitions}, compression: ${opts.compression}, recordsPerMessage: ${opts.recordsPerMessage} }
api: { enabled: false }
plugins:
  - id: source
    use: source-jsonl
    with: { path: ${JSON.stringify(input)}, batchSize: 5000, validate: false }
    output: flows.raw
  - id: geo
    use: enrich-geoip
    input: flows.raw
    output: flows.geo
    with: { cityDb: ${JSON.stringify(join(fixtures, 'GeoIP2-City-Test.mmdb'))}, asnDb: ${JSON.stringify(join(fixtures, 'GeoLite2-ASN-Test.mmdb'))} }
  - id: sink
    use: sink-file
    input: flows.geo
    with: { path: ${JSON.stringify(output)} }
`;
}

function role(children: ChildProcess[], cfg: string, args: string[], nodeOptions: string): ChildProcess {
  const bin = join(repoRoot(), 'apps', 'panoptes', 'bin', 'panoptes.js');
  const until = args.length === 0 || args[1] === 'source' ? ['--until-done'] : [];
  const flags = nodeOptions.split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...flags, bin, 'run', '-c', cfg, ...args, ...until], {
    env: { ...process.env, PANOPTES_LOG: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return child;
}

/** Resolves once the role logged that its plugin started. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      if (/plugin started/.test(err)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`role exited ${code} before starting: ${err.slice(-1000)}`)));
  });
}

/** Counts newlines appended to a file, reading only what is new. */
class LineCounter {
  private offset = 0;
  private lines = 0;
  private readonly buf = Buffer.alloc(1 << 20);
  constructor(private readonly path: string) {}
  count(): number {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return 0;
    }
    try {
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, this.offset);
        if (n <= 0) break;
        // indexOf is a native scan: the counter must not take CPU from the pipeline it measures.
        for (let i = this.buf.indexOf(10, 0); i >= 0 && i < n; i = this.buf.indexOf(10, i + 1)) this.lines++;
        this.offset += n;
      }
    } finally {
      closeSync(fd);
    }
    return this.lines;
  }
}

/** Synthetic flow records as a sensor writes them (Argus field names); returns the bytes written. */
async function writeInput(path: string, records: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const flows = Math.max(1, Math.floor(records / 4));
  for (let i = 0; i < records; i++) {
    const f = i % flows;
    const seq = Math.floor(i / flows);
    const t = 1_700_000_000 + i * 0.0001;
    const line =
      JSON.stringify({
        uid: `b${f.toString(36)}`,
        seq,
        rtype: seq === 3 ? 'final' : 'status',
        sid: 'bench',
        stime: Number(t.toFixed(6)),
        ltime: Number((t + 1.25).toFixed(6)),
        dur: 1.25,
        proto: 'tcp',
        saddr: `10.${(f >> 16) & 255}.${(f >> 8) & 255}.${f & 255}`,
        sport: 1024 + (f % 60_000),
        dir: '->',
        daddr: `81.2.69.${(f * 7) % 256}`,
        dport: 443,
        spkts: 12,
        dpkts: 10,
        sbytes: 2345,
        dbytes: 10456,
        sappbytes: 1500,
        dappbytes: 9000,
        state: 'CON',
        sttl: 64,
        dttl: 57,
        tcprtt: 0.012,
      }) + '\n';
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return bytes;
}
