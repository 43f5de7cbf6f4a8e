import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { compileFilter, decodeFlowCsv, FilterError, FlowPredicate, splitCsvLine } from '@panoptes/flow';
import type { AggregateRecord, Aggregator, TopBy } from '@panoptes/plugin-aggregate';
import { setExitCode } from './program';

interface ClusterOptions {
  read: string;
  model: string[];
  bin: string;
  lateness?: string;
  filter?: string;
  top: string;
  by: TopBy;
  distinct?: string;
  maxGroups: string;
  format?: 'json' | 'table';
}

/**
 * `panoptes cluster`: the racluster/rabins habit over flow files. Reads JSON
 * lines or CSV (with its header line), keeps the records the ra filter
 * passes, rolls them up by the -m keys (per --bin window when given) and
 * writes aggregate records as JSON lines, or a table on a terminal. Lines
 * that are not records are skipped and counted on stderr.
 */
export function registerCluster(program: Command): void {
  program
    .command('cluster')
    .description('aggregate flow records by key (racluster -m), optionally per time bin (rabins)')
    .requiredOption('-r, --read <file>', 'flow records: JSON lines or CSV with a header line; - reads standard input')
    .requiredOption(
      '-m, --model <keys...>',
      'keys: fields, saddr/24, saddr/24/64, dport/1024, dport[0-1023,1024-] (comma or space separated)',
    )
    .option('--bin <sec>', 'window length in seconds; 0 aggregates the whole input', '0')
    .option(
      '--lateness <sec>',
      'with --bin: records more than this behind the newest stime are late (counted, left out); default: none are',
    )
    .option('--filter <expr>', 'ra filter expression applied before aggregating')
    .option('--top <n>', 'only the N largest groups per window (the rest in one "other" row); 0 for all', '0')
    .addOption(
      new Option('--by <metric>', 'what --top ranks by').choices(['bytes', 'pkts', 'trans', 'flows']).default('bytes'),
    )
    .option('--distinct <fields>', 'count distinct values of these fields per group (HyperLogLog), comma separated')
    .option('--max-groups <n>', 'groups kept per window; more go to "other"', '1000000')
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, else json)').choices([
        'json',
        'table',
      ]),
    )
    .action(async (opts: ClusterOptions, cmd: Command) => setExitCode(cmd, await cluster(opts)));
}

async function cluster(opts: ClusterOptions): Promise<number> {
  // Loaded here so that other commands start without it (and its plugin SDK).
  const { Aggregator, KeySpecError, splitKeyList } = await import('@panoptes/plugin-aggregate');
  const fail = (msg: string): number => {
    process.stderr.write(`panoptes cluster: ${msg}\n`);
    return 1;
  };
  const bin = Number(opts.bin);
  const top = Number(opts.top);
  const maxGroups = Number(opts.maxGroups);
  const lateness = opts.lateness === undefined ? Infinity : Number(opts.lateness);
  if (!(bin >= 0)) return fail(`--bin must be a number of seconds >= 0, found ${opts.bin}`);
  if (!(Number.isInteger(top) && top >= 0)) return fail(`--top must be a whole number >= 0, found ${opts.top}`);
  if (!(Number.isInteger(maxGroups) && maxGroups >= 1))
    return fail(`--max-groups must be a whole number >= 1, found ${opts.maxGroups}`);
  if (!(lateness >= 0)) return fail(`--lateness must be a number of seconds >= 0, found ${opts.lateness}`);
  let filter: FlowPredicate | undefined;
  if (opts.filter?.trim()) {
    try {
      filter = compileFilter(opts.filter);
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      return fail(`--filter: ${err.message}\n  ${opts.filter}\n  ${' '.repeat(err.column - 1)}^`);
    }
  }
  let agg: Aggregator;
  try {
    agg = new Aggregator({
      keys: opts.model.flatMap(splitKeyList),
      binSec: bin,
      allowedLatenessSec: lateness,
      maxGroups,
      distinct: opts.distinct
        ? opts.distinct
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
      topN: top,
      topBy: opts.by,
    });
  } catch (err) {
    if (err instanceof KeySpecError) return fail(`-m: ${err.message}`);
    throw err;
  }
  const out: AggregateRecord[] = [];
  const table = (opts.format ?? (process.stdout.isTTY ? 'table' : 'json')) === 'table';
  const write = table ? undefined : (recs: AggregateRecord[]) => writeJson(recs);
  let stats: ReadStats;
  try {
    stats = await readFlowFile(opts.read, (r) => {
      if (filter && !filter(r as never)) return;
      agg.add(r, out);
      if (write && out.length >= 1000) write(out.splice(0));
    });
  } catch (err) {
    return fail(`cannot read ${opts.read}: ${(err as Error).message}`);
  }
  agg.flush(out);
  if (write) write(out);
  else
    process.stdout.write(
      formatTable(
        out,
        agg.parts.map((p) => p.field),
      ),
    );
  const c = agg.counters;
  const notes = [`${stats.records} records read, ${c.records} aggregated into ${c.groups} rows`];
  if (stats.bad) notes.push(`${stats.bad} bad lines skipped (first: ${stats.firstBad})`);
  if (c.bad) notes.push(`${c.bad} records without a numeric stime skipped`);
  if (c.late) notes.push(`${c.late} late records left out (--lateness ${opts.lateness})`);
  if (c.overflow) notes.push(`${c.overflow} records beyond --max-groups counted in "other"`);
  if (table || stats.bad || c.bad || c.late || c.overflow)
    process.stderr.write(`panoptes cluster: ${notes.join('; ')}\n`);
  return 0;
}

function writeJson(recs: AggregateRecord[]): void {
  let s = '';
  for (const r of recs) s += JSON.stringify(r) + '\n';
  process.stdout.write(s);
}

export interface ReadStats {
  records: number;
  bad: number;
  firstBad?: string;
}

/**
 * Reads a flow file line by line: JSON lines, or CSV when the first line is
 * not a JSON object (it is then the header). Lines that do not parse are
 * counted, never fatal.
 */
export async function readFlowFile(path: string, onRecord: (r: Record<string, unknown>) => void): Promise<ReadStats> {
  const input = path === '-' ? process.stdin : createReadStream(path);
  if (input !== process.stdin) {
    await new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', reject);
    });
  }
  const rl = createInterface({ input, crlfDelay: Infinity });
  const stats: ReadStats = { records: 0, bad: 0 };
  let header: string[] | undefined;
  let csv: boolean | undefined;
  let n = 0;
  const bad = (why: string): void => {
    stats.bad++;
    stats.firstBad ??= `line ${n}: ${why}`;
  };
  for await (const line of rl) {
    n++;
    if (line.trim() === '') continue;
    if (csv === undefined) {
      csv = line.trimStart()[0] !== '{';
      if (csv) {
        header = splitCsvLine(line).map((h) => h.trim());
        continue;
      }
    }
    let r: unknown;
    if (csv) {
      r = decodeFlowCsv(header!, line);
    } else {
      try {
        r = JSON.parse(line);
      } catch (err) {
        bad(`not valid JSON: ${(err as Error).message}`);
        continue;
      }
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      bad('not a JSON object');
      continue;
    }
    stats.records++;
    onRecord(r as Record<string, unknown>);
  }
  return stats;
}

/** Aggregates as a ra-style table: window start, key fields, then the figures. */
export function formatTable(recs: readonly AggregateRecord[], keys: readonly string[]): string {
  const distinct = recs[0]?.distinct ? Object.keys(recs[0].distinct) : [];
  const head = [
    'StartTime',
    'Dur',
    ...keys,
    'Trans',
    'Flows',
    'TotPkts',
    'TotBytes',
    'Rate',
    'Load',
    ...distinct.map((d) => `#${d}`),
  ];
  const rows = recs.map((r) => [
    new Date(r.stime * 1000).toISOString().replace('T', ' ').replace('Z', ''),
    r.dur.toFixed(3),
    ...keys.map((k) => (r.other ? (k === keys[0] ? `other (${r.groups})` : '') : String(r[k] ?? '-'))),
    String(r.trans),
    String(r.flows),
    String(r.pkts),
    String(r.bytes),
    r.rate.toFixed(3),
    r.load.toFixed(1),
    ...distinct.map((d) => String(r.distinct?.[d] ?? '')),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]): string => row.map((c, i) => c.padStart(widths[i])).join('  ') + '\n';
  return fmt(head) + rows.map(fmt).join('');
}
