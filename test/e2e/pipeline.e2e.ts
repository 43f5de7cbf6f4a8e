import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AnyPluginManifest, definePlugin } from '@panoptes/plugin-sdk';
import { FileSink, FileSinkConfig, sinkFilePlugin } from '@panoptes/plugin-sink-file';
import { sourceJsonlPlugin } from '@panoptes/plugin-source-jsonl';
import { spawnPanoptes } from '@panoptes/testing';
import { parseConfig } from '../../apps/panoptes/src/config/config.loader';
import { PluginHost } from '../../apps/panoptes/src/runtime/plugin-host';

const FLOWS = 100_000;
const PER_FLOW = 10;
const TOTAL = FLOWS * PER_FLOW;
const BOUND = 20_000;

/** Writes TOTAL records: PER_FLOW per flow, flows interleaved, seq increasing within each flow. */
function writeRecords(path: string): void {
  const lines: string[] = [];
  for (let s = 0; s < PER_FLOW; s++) {
    for (let f = 0; f < FLOWS; f++) {
      const t = 1_700_000_000 + f * 0.001 + s;
      lines.push(
        `{"uid":"f${f}","seq":${s},"rtype":"${s === PER_FLOW - 1 ? 'final' : 'status'}","sid":"e2e","stime":${t},"ltime":${t},"dur":0,"proto":"udp","saddr":"10.0.${(f >> 8) & 255}.${f & 255}","sport":${1024 + (f % 60000)},"dir":"->","daddr":"192.0.2.1","dport":53,"spkts":1,"dpkts":0,"sbytes":${60 + s},"dbytes":0}`,
      );
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** Reads the sink's output and checks each (uid, seq) once, in order per flow. */
async function checkOutput(path: string, expected: number): Promise<void> {
  const lastSeq = new Map<string, number>();
  let n = 0;
  let dup = 0;
  let disorder = 0;
  for await (const line of createInterface({ input: createReadStream(path) })) {
    if (!line) continue;
    const r = JSON.parse(line) as { uid: string; seq: number };
    const prev = lastSeq.get(r.uid) ?? -1;
    if (r.seq === prev) dup++;
    else if (r.seq !== prev + 1) disorder++;
    lastSeq.set(r.uid, r.seq);
    n++;
  }
  expect({ n, dup, disorder }).toEqual({ n: expected, dup: 0, disorder: 0 });
}

describe('embedded pipeline: source-jsonl -> sink-file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-pipeline-'));
  const input = join(dir, 'in.jsonl');
  beforeAll(() => writeRecords(input));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers 1,000,000 records through a slow sink exactly once, in order per flow, within the queue bound', async () => {
    let maxDepth = 0;
    let batches = 0;
    const ref: { host?: PluginHost } = {};
    // A file sink that is deliberately slow: it sleeps on every batch, so the source must be held back.
    const slowSink = definePlugin({
      ...sinkFilePlugin,
      id: 'slow-file',
      create: (config: FileSinkConfig, ctx) => {
        const sink = new FileSink(config, ctx);
        const handle = sink.handle.bind(sink);
        sink.handle = async (records: unknown[]) => {
          for (const s of ref.host!.getBus()!.stats()) maxDepth = Math.max(maxDepth, s.depth);
          if (++batches % 4 === 0) await new Promise((r) => setTimeout(r, 1));
          await handle(records);
        };
        return sink;
      },
    });
    const registry = new Map<string, AnyPluginManifest>([
      [sourceJsonlPlugin.id, sourceJsonlPlugin],
      [slowSink.id, slowSink],
    ]);
    const out = join(dir, 'out.jsonl');
    const cfg = parseConfig(
      `bus: { type: embedded, queueRecords: ${BOUND} }
plugins:
  - { id: src, use: source-jsonl, with: { path: ${input}, batchSize: 500 } }
  - { id: sink, use: slow-file, input: flows.raw, with: { path: ${out} } }
`,
      'inline',
      registry,
    );
    const host = (ref.host = new PluginHost(cfg));
    await host.start();
    await host.untilDone();
    await host.stop();
    expect(batches).toBeGreaterThanOrEqual(TOTAL / 500);
    expect(maxDepth).toBeGreaterThan(0);
    expect(maxDepth).toBeLessThanOrEqual(BOUND);
    await checkOutput(out, TOTAL);
  }, 300_000);

  it('loses nothing the source handed over when SIGTERM arrives mid-run', async () => {
    const out = join(dir, 'term.jsonl');
    const cfg = join(dir, 'term.yaml');
    writeFileSync(
      cfg,
      `api: { enabled: false }
plugins:
  - { id: src, use: source-jsonl, with: { path: ${input}, batchSize: 1000 } }
  - { id: sink, use: sink-file, input: flows.raw, with: { path: ${out} } }
`,
    );
    const p = spawnPanoptes(['run', '-c', cfg]);
    await p.waitFor(/plugin started plugin=src/);
    // Wait until records are flowing, then stop it mid-stream.
    for (let i = 0; i < 600; i++) {
      try {
        if (statSync(out).size > 1_000_000) break;
      } catch {
        /* not created yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    p.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const emitted = Number(/plugin stopped plugin=src .*emitted=(\d+)/.exec(p.stderr())?.[1]);
    expect(emitted).toBeGreaterThan(0);
    expect(emitted).toBeLessThan(TOTAL);
    // Exactly the first `emitted` input lines, in input order.
    const got = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    expect(got.length).toBe(emitted);
    const want = readFileSync(input, 'utf8').split('\n', emitted);
    expect(got.map((l) => JSON.parse(l).uid + '/' + JSON.parse(l).seq)).toEqual(
      want.map((l) => JSON.parse(l).uid + '/' + JSON.parse(l).seq),
    );
  }, 300_000);
});
