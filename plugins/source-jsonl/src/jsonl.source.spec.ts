import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLines, PluginContext, validateConfig } from '@panoptes/plugin-sdk';
import { runPlugin } from '@panoptes/testing';
import { JsonlSourceConfig } from './jsonl.config';
import { JsonlSource } from './jsonl.source';
import { sourceJsonlPlugin } from './index';

const line = (uid: string, seq = 0) =>
  JSON.stringify({
    uid,
    seq,
    rtype: 'final',
    sid: 's',
    stime: 1,
    ltime: 2,
    dur: 1,
    proto: 'udp',
    saddr: '10.0.0.1',
    sport: 5000,
    dir: '->',
    daddr: '10.0.0.2',
    dport: 53,
    spkts: 1,
    dpkts: 1,
    sbytes: 80,
    dbytes: 120,
  });

describe('source-jsonl', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'source-jsonl-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('validates its config', () => {
    expect(validateConfig(JsonlSourceConfig, { path: 'x' }).value).toMatchObject({ batchSize: 1000, validate: true });
    expect(validateConfig(JsonlSourceConfig, {}).issues.map((i) => i.path)).toEqual(['path']);
    expect(validateConfig(JsonlSourceConfig, { path: 'x', batchSize: 0 }).issues[0].message).toMatch(
      /batchSize must not be less than 1/,
    );
  });

  it('replays records in batches and dead-letters bad lines with their line numbers', async () => {
    const path = join(dir, 'in.jsonl');
    writeFileSync(
      path,
      [
        line('a'),
        '',
        'not json',
        line('b'),
        '{"uid":"c"}',
        line('d'),
        '{"uid":"e","seq":0,"colour":"red"}',
        line('f'),
      ].join('\r\n') + '\r\n',
    );
    const run = await runPlugin(sourceJsonlPlugin, { path, batchSize: 2 });
    expect((run.outputs.flows as { uid: string }[]).map((r) => r.uid)).toEqual(['a', 'b', 'd', 'f']);
    expect(run.rejected.map((r) => r.reason.replace(path, 'F'))).toEqual([
      expect.stringMatching(/^F:3: not valid JSON/),
      'F:5: missing field seq',
      'F:7: unknown field colour',
    ]);
    expect(run.counters.bad_lines).toBe(3);
  });

  it('emits each batch in order, with the text of lines spelled as JSON.stringify spells them only', async () => {
    const path = join(dir, 'in.jsonl');
    const lines = [line('a'), ` ${line('b')} `, 'oops', line('c')];
    writeFileSync(path, lines.join('\r\n') + '\n');
    const batches: unknown[][] = [];
    const ctx = {
      emit: async (records: unknown[]) => void batches.push(records),
      reject: async () => undefined,
      count: () => undefined,
    } as unknown as PluginContext;
    const config = validateConfig(JsonlSourceConfig, { path, batchSize: 2 }).value!;
    const source = new JsonlSource(config, ctx);
    await source.start();
    await source.done;
    await source.stop();
    expect(batches.map((b) => b.map((r) => (r as { uid: string }).uid))).toEqual([['a', 'b'], ['c']]);
    // ` {…} ` must not reach a JSON sink as spelled, over Kafka or in process; canonical lines may.
    expect(batches.map((b) => jsonLines(b))).toEqual([[line('a'), undefined], [line('c')]]);
    for (const b of batches) {
      jsonLines(b)!.forEach((t, i) => t !== undefined && expect(t).toBe(JSON.stringify(b[i])));
    }
  });

  it('decodes a character split between two read chunks whole', async () => {
    const { readLineBatches } = await import('@panoptes/flow');
    const path = join(dir, 'utf8.jsonl');
    // "é" is two bytes; with 7-byte chunks one falls across a chunk boundary.
    const text = '{"a":"é"}\n{"b":"ééé"}\n';
    writeFileSync(path, text);
    const lines: string[] = [];
    for await (const b of readLineBatches(path, { highWaterMark: 7, canonical: true })) {
      lines.push(...b.lines);
      expect(Array.from(b.canonical ?? [])).toEqual(b.lines.map(() => 1));
    }
    expect(lines).toEqual(['{"a":"é"}', '{"b":"ééé"}']);
  });

  it('reads the same lines with the canonical check as without it, CRs left out', async () => {
    const { readLineBatches } = await import('@panoptes/flow');
    const path = join(dir, 'mixed.jsonl');
    const lines = [
      '{"a":"x"}',
      '{"c":"Zürich ☃"}\r',
      ' { "b" : 1 } ',
      '',
      'not json\r',
      '{"d":[1,2]}',
      '\r',
      '{"e":"\u00ff"}',
    ];
    writeFileSync(path, Buffer.concat([Buffer.from(lines.join('\n')), Buffer.from([0x0a, 0xff, 0x7b, 0x7d])]));
    const read = async (canonical: boolean): Promise<string[]> => {
      const out: string[] = [];
      for await (const b of readLineBatches(path, { highWaterMark: 16, canonical })) out.push(...b.lines);
      return out;
    };
    const plain = await read(false);
    expect(plain).toEqual([...lines.map((l) => l.replace(/\r$/, '')), '\ufffd{}']);
    expect(await read(true)).toEqual(plain);
  });

  it('over Kafka, unvalidated, hands canonical lines on unparsed as text records', async () => {
    const path = join(dir, 'in.jsonl');
    const lines = [line('a'), ` ${line('b')} `, '{"uid":"c","nested":{"x":1}}', 'oops', line('d')];
    writeFileSync(path, lines.join('\n') + '\n');
    const run = await runPlugin(sourceJsonlPlugin, { path, validate: false }, { textOutput: true });
    expect(run.outputs.flows).toEqual([line('a'), JSON.parse(line('b')), { uid: 'c', nested: { x: 1 } }, line('d')]);
    expect(run.rejected.map((r) => r.payload)).toEqual(['oops']);
    // Validation reads fields: every record is parsed then.
    const validated = await runPlugin(sourceJsonlPlugin, { path }, { textOutput: true });
    expect(validated.outputs.flows.every((r) => typeof r === 'object')).toBe(true);
  });

  it('reads a last line without a newline', async () => {
    const path = join(dir, 'in.jsonl');
    writeFileSync(path, `${line('a')}\n${line('b')}`);
    const run = await runPlugin(sourceJsonlPlugin, { path });
    expect(run.outputs.flows).toHaveLength(2);
  });

  it('fails to start, naming the file, when it does not exist; preflight says so too', async () => {
    await expect(runPlugin(sourceJsonlPlugin, { path: join(dir, 'missing.jsonl') })).rejects.toThrow(
      /^cannot open .*missing\.jsonl: ENOENT/,
    );
    expect(await sourceJsonlPlugin.preflight!({ path: join(dir, 'missing.jsonl') } as JsonlSourceConfig)).toEqual([
      { path: 'path', message: `file not found: ${join(dir, 'missing.jsonl')}` },
    ]);
  });
});
