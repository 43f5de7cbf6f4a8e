import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFlowCsv, FlowRecord, splitCsvLine } from '@panoptes/flow';
import { ConfigError, formatIssue, validateConfig, withJsonBytes, withJsonLines } from '@panoptes/plugin-sdk';
import { runPlugin } from '@panoptes/testing';
import { FileSinkConfig } from './file.config';
import { sinkFilePlugin } from './index';

const rec = (i: number, extra: Partial<FlowRecord> = {}): FlowRecord => ({
  uid: `u${i}`,
  seq: 0,
  rtype: 'final',
  sid: 'spec',
  stime: 1_700_000_000 + i,
  ltime: 1_700_000_001 + i,
  dur: 1,
  proto: 'tcp',
  saddr: '10.0.0.1',
  sport: 40000 + i,
  dir: '->',
  daddr: '192.0.2.7',
  dport: 443,
  spkts: 3,
  dpkts: 2,
  sbytes: 180 + i,
  dbytes: 1200,
  ...extra,
});

/** JSON sinks take text records; CSV ones read fields. */
const textRecordsSinkTakes = () =>
  sinkFilePlugin.textInput!(validateConfig(FileSinkConfig, { path: 'x' }).value!) === true &&
  sinkFilePlugin.textInput!(validateConfig(FileSinkConfig, { path: 'x', format: 'csv' }).value!) === false;

describe('sink-file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sink-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has a default config that validates with only a path, and refuses bad values', () => {
    expect(validateConfig(FileSinkConfig, { path: 'x' }).value).toMatchObject({
      format: 'json',
      rotateBytes: 0,
      rotateSec: 0,
    });
    const bad = validateConfig(FileSinkConfig, { path: '', format: 'xml', rotateBytes: -1, extra: 1 });
    expect(bad.issues.map((i) => `${i.path}: ${i.message}`).sort()).toEqual([
      'extra: unknown key "extra"',
      'format: format must be one of the following values: json, csv, found "xml"',
      'path: path should not be empty, found ""',
      'rotateBytes: rotateBytes must not be less than 0, found number -1',
    ]);
  });

  it('writes JSON lines that read back as the same records', async () => {
    const path = join(dir, 'out.jsonl');
    const records = [rec(1), rec(2, { sport: null, sco: 'GB' })];
    const run = await runPlugin(sinkFilePlugin, { path }, { input: [records] });
    expect(run.counters.written).toBe(2);
    const back = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(back).toEqual(records);
  });

  it('writes the JSON text a batch carries (records as the Kafka bus decoded them) without encoding again', async () => {
    const path = join(dir, 'out.jsonl');
    const texts = [JSON.stringify(rec(1)), `{ "uid": "u2",  "seq": 0 }`];
    const batch = withJsonLines([rec(1), { uid: 'u2', seq: 0 }], texts);
    await runPlugin(sinkFilePlugin, { path }, { input: [batch, [rec(3)]] });
    expect(readFileSync(path, 'utf8')).toBe(`${texts[0]}\n${texts[1]}\n${JSON.stringify(rec(3))}\n`);
    // CSV reads the fields, whatever the batch carries.
    const csv = join(dir, 'out.csv');
    await runPlugin(sinkFilePlugin, { path: csv, format: 'csv', fields: ['uid', 'seq'] }, { input: [batch] });
    expect(readFileSync(csv, 'utf8')).toBe('uid,seq\nu1,0\nu2,0\n');
  });

  it('writes text records as they are, and the bytes a batch of them came in when it carries them', async () => {
    const path = join(dir, 'out.jsonl');
    const texts = [JSON.stringify(rec(1)), JSON.stringify(rec(2))];
    // The bytes say other records than the strings here, only to show which of the two is written.
    const other = [JSON.stringify(rec(4)), JSON.stringify(rec(5))];
    const fromBytes = withJsonBytes(texts.slice(), [Buffer.from(other[0]), Buffer.from(other[1])]);
    await runPlugin(sinkFilePlugin, { path }, { input: [texts, [rec(3)], fromBytes] });
    const want = [texts[0], texts[1], JSON.stringify(rec(3)), other[0], other[1]];
    expect(readFileSync(path, 'utf8')).toBe(want.map((l) => `${l}\n`).join(''));
    expect(textRecordsSinkTakes()).toBe(true);
  });

  it('writes CSV with a header, quoting where needed, and reads back typed', async () => {
    const path = join(dir, 'out.csv');
    await runPlugin(
      sinkFilePlugin,
      { path, format: 'csv', fields: ['uid', 'saddr', 'sbytes', 'dname'] },
      {
        input: [[rec(1, { dname: 'a,"b".example' }), rec(2)]],
      },
    );
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('uid,saddr,sbytes,dname');
    expect(lines[1]).toBe('u1,10.0.0.1,181,"a,""b"".example"');
    expect(decodeFlowCsv(splitCsvLine(lines[0]), lines[1])).toEqual({
      uid: 'u1',
      saddr: '10.0.0.1',
      sbytes: 181,
      dname: 'a,"b".example',
    });
    expect(lines[2]).toBe('u2,10.0.0.1,182,');
  });

  it('rotates by size, keeping every record exactly once across the files', async () => {
    const path = join(dir, 'rot.jsonl');
    const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 10 }, (_, i) => rec(b * 10 + i)));
    const run = await runPlugin(sinkFilePlugin, { path, rotateBytes: 4000 }, { input: batches });
    const files = readdirSync(dir).filter((f) => f.startsWith('rot.jsonl'));
    expect(files.length).toBe(run.counters.rotations + 1);
    expect(run.counters.rotations).toBeGreaterThanOrEqual(3);
    const uids = files.flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).uid),
    );
    expect(uids.sort()).toEqual(
      batches
        .flat()
        .map((r) => r.uid)
        .sort(),
    );
    expect(files.filter((f) => f !== 'rot.jsonl').every((f) => /^rot\.jsonl\.\d{8}T\d{6}Z-\d+$/.test(f))).toBe(true);
  });

  it('rotates by time', async () => {
    const path = join(dir, 't.jsonl');
    const pause = () => new Promise((r) => setTimeout(r, 1100));
    const run = await runPlugin(
      sinkFilePlugin,
      { path, rotateSec: 1 },
      {
        afterStart: async (sink) => {
          const s = sink as unknown as { handle(r: unknown[]): Promise<void> };
          await s.handle([rec(1)]);
          await s.handle([rec(2)]); // same second: same file
          await pause();
          await s.handle([rec(3)]); // the file is over a second old: a new one
        },
      },
    );
    expect(run.counters.rotations).toBe(1);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(
      readFileSync(join(dir, 't.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).uid),
    ).toEqual(['u3']);
  });

  it('fails to start with a clear message when the path cannot be opened', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    const path = join(dir, 'plain', 'out.jsonl');
    await expect(runPlugin(sinkFilePlugin, { path })).rejects.toThrow(`cannot open ${path}: `);
  });

  it('names every problem of a bad config', async () => {
    await expect(runPlugin(sinkFilePlugin, { format: 'csv' })).rejects.toBeInstanceOf(ConfigError);
    try {
      await runPlugin(sinkFilePlugin, { format: 'csv' });
    } catch (err) {
      expect((err as ConfigError).issues.map(formatIssue)).toEqual(['path: path should not be empty, found nothing']);
    }
  });
});
