/**
 * Shared by the Kafka end-to-end tests: input files of flow records, configs
 * whose only difference between the embedded and the Kafka run is the `bus:`
 * line, reading a sink's output as a set of uid/seq, and bounded polling.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PanoptesProcess, repoRoot, spawnPanoptes, uniqueKafkaPrefix } from '@panoptes/testing';

export const FIXTURES = join(repoRoot(), 'test', 'fixtures');
export const GEO_WITH = `{ cityDb: ${JSON.stringify(join(FIXTURES, 'mmdb', 'GeoIP2-City-Test.mmdb'))}, asnDb: ${JSON.stringify(
  join(FIXTURES, 'mmdb', 'GeoLite2-ASN-Test.mmdb'),
)} }`;

/** Writes `flows * perFlow` flow records (JSON lines), flows interleaved, seq rising within each flow. */
export function writeFlows(path: string, flows: number, perFlow: number): number {
  const lines: string[] = [];
  for (let s = 0; s < perFlow; s++) {
    for (let f = 0; f < flows; f++) {
      const t = 1_700_000_000 + f * 0.001 + s;
      lines.push(
        JSON.stringify({
          uid: `k${f}`,
          seq: s,
          rtype: s === perFlow - 1 ? 'final' : 'status',
          sid: 'kafka-e2e',
          stime: t,
          ltime: t + 0.5,
          dur: 0.5,
          proto: 'tcp',
          saddr: `10.${(f >> 16) & 255}.${(f >> 8) & 255}.${f & 255}`,
          sport: 1024 + (f % 60_000),
          dir: '->',
          daddr: `81.2.69.${142 + (f % 2)}`,
          dport: 443,
          spkts: 3,
          dpkts: 2,
          sbytes: 200 + s,
          dbytes: 120,
        }),
      );
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return lines.length;
}

/** The `bus:` line of a Kafka run: unique topic and group names so tests share one broker. */
export function kafkaBus(brokers: string[], prefix = uniqueKafkaPrefix('e2e'), extra = ''): string {
  return `bus: { type: kafka, brokers: [${brokers.join(', ')}], topicPrefix: ${prefix}, groupPrefix: ${prefix}, statsIntervalMs: 250${extra} }`;
}

/** A three-role pipeline: a source, geo enrichment, a file sink. */
export function pipelineConfig(bus: string, source: string, output: string): string {
  return `${bus}
api: { listen: "127.0.0.1:0", publicMetrics: true }
plugins:
${source}
    output: flows.raw
  - id: geo
    use: enrich-geoip
    input: flows.raw
    output: flows.geo
    with: ${GEO_WITH}
  - id: sink
    use: sink-file
    input: flows.geo
    with: { path: ${JSON.stringify(output)} }
`;
}

export const jsonlSource = (path: string, batchSize = 1000) =>
  `  - id: source\n    use: source-jsonl\n    with: { path: ${JSON.stringify(path)}, batchSize: ${batchSize}, validate: false }`;

export interface Output {
  /** Lines read. */
  readonly lines: number;
  /** Distinct uid/seq keys. */
  readonly keys: Set<string>;
  /** Records by uid/seq (the last one read). */
  readonly records: Map<string, Record<string, unknown>>;
}

/** Reads a JSON-lines sink output; a partly written last line is ignored. */
export function readOutput(path: string): Output {
  const records = new Map<string, Record<string, unknown>>();
  let lines = 0;
  if (!existsSync(path)) return { lines, keys: new Set(), records };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    lines++;
    records.set(`${r.uid}/${r.seq}`, r);
  }
  return { lines, keys: new Set(records.keys()), records };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until probe() is truthy; fails after `tries` polls (bounded, never a timing assertion). */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  tries = 600,
  everyMs = 200,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v) return v;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Starts `panoptes run -c cfg` with extra args; quiet Kafka client logs. */
export function runRole(cfg: string, ...args: string[]): PanoptesProcess {
  return spawnPanoptes(['run', '-c', cfg, ...args]);
}

/** Sends SIGTERM and waits for the exit code. */
export async function stopRole(p: PanoptesProcess): Promise<number> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return p.exited;
  p.kill('SIGTERM');
  return p.exited;
}

/** Reads one gauge from a Prometheus text page: the value for the given labels, or undefined. */
export async function metric(
  apiUrl: string,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const res = await fetch(`${apiUrl}/metrics`).catch(() => undefined);
  if (!res || !res.ok) return undefined;
  const text = await res.text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
