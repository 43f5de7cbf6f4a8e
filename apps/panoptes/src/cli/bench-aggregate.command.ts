import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { genPcapScript } from '../runtime/paths';
import { benchGroup } from './bench.command';
import { encodeFlowJson, FlowRecord } from '@panoptes/flow';
import type { AggregateRecord } from '@panoptes/plugin-aggregate';
import { readFlowFile } from './cluster.command';
import { setExitCode } from './program';

interface BenchAggregateOptions {
  argus?: string;
  runs: string;
  bin: string;
}

const KEYS = ['saddr/24', 'dport'];

/**
 * `panoptes bench aggregate`: records/s of the (saddr/24, dport) rollup in
 * 60 s windows on one core, beside `racluster -m saddr/24 dport` on the same
 * records. Without --argus it makes the standard file once (gen-pcap.py
 * --flows 100000 --snaplen 128 --seed 1, then argus -r) in the temp folder.
 * Prints one JSON line.
 */
export function registerBenchAggregate(program: Command): void {
  const bench = benchGroup(program);
  bench
    .command('aggregate')
    .description('rollup records/s (saddr/24, dport; 60 s bins) beside racluster on the same argus records')
    .option('--argus <file>', 'argus records to use (default: the standard file, made once)')
    .option('--runs <n>', 'timed runs; the best is reported', '5')
    .option('--bin <sec>', 'window length', '60')
    .action(async (opts: BenchAggregateOptions, cmd: Command) => setExitCode(cmd, await benchAggregate(opts)));
}

async function benchAggregate(opts: BenchAggregateOptions): Promise<number> {
  // Loaded here so that other commands start without it (and its plugin SDK).
  const { Aggregator, argusRecords, timeAggregation, timeRacluster } = await import('@panoptes/plugin-aggregate');
  const runs = Math.max(1, Number(opts.runs) || 5);
  const binSec = Number(opts.bin);
  let argusFile: string;
  let records: FlowRecord[];
  try {
    argusFile = opts.argus ?? standardArgusFile();
    records = argusRecords(argusFile);
  } catch (err) {
    process.stderr.write(`panoptes bench aggregate: ${(err as Error).message}\n`);
    return 1;
  }
  const options = { keys: KEYS, binSec, allowedLatenessSec: 30, maxGroups: 1_000_000 };
  const inMemory = timeAggregation(records, options, runs);

  // The same rollup from a JSON-lines file, parsing included (what `panoptes cluster` does).
  const jsonl = join(tmpdir(), `panoptes-bench-${process.pid}.jsonl`);
  writeFileSync(jsonl, records.map(encodeFlowJson).join('\n') + '\n');
  let fromFile = Infinity;
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const t0 = process.hrtime.bigint();
    const agg = new Aggregator(options);
    const out: AggregateRecord[] = [];
    await readFlowFile(jsonl, (r) => agg.add(r, out));
    agg.flush(out);
    fromFile = Math.min(fromFile, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  unlinkSync(jsonl);

  let racluster: object;
  try {
    racluster = timeRacluster(argusFile, KEYS, records.length, runs);
  } catch (err) {
    racluster = { error: (err as Error).message };
  }
  const line = {
    bench: 'aggregate',
    argus: argusFile,
    records: records.length,
    keys: KEYS,
    binSec,
    panoptes: inMemory,
    panoptesFromJsonl: {
      seconds: Math.round(fromFile * 1000) / 1000,
      recordsPerSec: Math.round(records.length / fromFile),
    },
    racluster,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return 0;
}

/** The standard benchmark capture as argus records, made once and kept in the temp folder. */
function standardArgusFile(): string {
  const dir = join(tmpdir(), 'panoptes-bench');
  const argus = join(dir, 'std-100000-128-1.argus');
  if (existsSync(argus)) return argus;
  mkdirSync(dir, { recursive: true });
  const pcap = join(dir, 'std-100000-128-1.pcap');
  process.stderr.write(`panoptes bench aggregate: making ${argus} (once)\n`);
  execFileSync('python3', [genPcapScript(), '--flows', '100000', '--snaplen', '128', '--seed', '1', '--out', pcap], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync('argus', ['-r', pcap, '-w', `${argus}.part`], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(`${argus}.part`, argus);
  return argus;
}
