/**
 * `panoptes read` and `panoptes bench sensor` through the built CLI, on the
 * committed fixtures: JSON lines and CSV with the catalogue's names, BPF, the
 * error for a truncated file, the benchmark's one JSON line, and a scan of
 * many one-packet flows in bounded memory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIELDS } from '@panoptes/flow';
import { repoRoot } from '@panoptes/testing';

const root = repoRoot();
const bin = join(root, 'apps', 'panoptes', 'bin', 'panoptes.js');
const fixture = (n: string) => join(root, 'test', 'fixtures', 'pcaps', n);
const panoptes = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
const SENSOR_FIELDS = FIELDS.filter((f) => f.group !== 'enrich').map((f) => f.name as string);

describe('panoptes read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-read-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes JSON lines whose fields are catalogue fields and whose totals match the truth', () => {
    const out = join(dir, 'g.jsonl');
    const r = panoptes('read', '-r', fixture('gen-200.pcap'), '-w', out);
    expect(r.status).toBe(0);
    const recs = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const unknown = new Set(recs.flatMap((x) => Object.keys(x)).filter((k) => !SENSOR_FIELDS.includes(k)));
    expect([...unknown]).toEqual([]);
    const truth = readFileSync(fixture('gen-200.truth.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const sum = (xs: { spkts: number; dpkts: number; sbytes: number; dbytes: number }[]) =>
      xs.reduce((s, x) => s + x.spkts + x.dpkts + x.sbytes + x.dbytes, 0);
    expect(sum(recs)).toBe(sum(truth));
    expect(new Set(recs.map((x) => x.uid)).size).toBe(truth.length);
    expect(recs.every((x) => x.sid === 'read')).toBe(true);
  });

  it('writes CSV with the catalogue columns in order, to standard output', () => {
    const r = panoptes('read', '-r', fixture('http-get.pcap'), '--format', 'csv');
    expect(r.status).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header.split(',')).toEqual(SENSOR_FIELDS);
    const v = Object.fromEntries(header.split(',').map((h, i) => [h, row.split(',')[i]]));
    expect([v.proto, v.saddr, v.sport, v.dir, v.daddr, v.dport, v.spkts, v.dbytes]).toEqual([
      'tcp',
      '141.142.228.5',
      '59856',
      '->',
      '192.150.187.43',
      '80',
      '7',
      '5477',
    ]);
  });

  it('applies --bpf', () => {
    const r = panoptes('read', '-r', fixture('gen-200.pcap'), '--bpf', 'udp port 53');
    expect(r.status).toBe(0);
    const recs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(recs.length).toBeGreaterThan(10);
    expect(recs.every((x) => x.proto === 'udp' && x.dport === 53)).toBe(true);
  });

  it('refuses a filter that does not compile, and a missing file, with exit 1', () => {
    const bad = panoptes('read', '-r', fixture('gen-200.pcap'), '--bpf', 'port port');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/bad filter "port port"/);
    const missing = panoptes('read', '-r', join(dir, 'nope.pcap'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot open .*nope\.pcap/);
  });

  it('ends a truncated file with exit 1 and the byte offset, after writing the flows read', () => {
    const cut = join(dir, 'cut.pcap');
    copyFileSync(fixture('gen-200.pcap'), cut);
    truncateSync(cut, 200_000);
    const out = join(dir, 'cut.jsonl');
    const r = panoptes('read', '-r', cut, '-w', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`${cut}: truncated packet record: .* at byte offset \\d+ \\(\\d+ records written before it\\)`),
    );
    const n = Number(/\((\d+) records written/.exec(r.stderr)![1]);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(n);
    expect(n).toBeGreaterThan(100);
  });
});

describe('panoptes bench sensor', () => {
  it('prints one JSON line with the counts of the capture', () => {
    const r = panoptes('bench', 'sensor', fixture('gen-200.pcap'));
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const b = JSON.parse(lines[0]);
    expect(Object.keys(b)).toEqual(['packets', 'flows', 'records', 'seconds', 'pps', 'peakRssMiB']);
    expect([b.packets, b.flows]).toEqual([2632, 254]);
    expect(b.records).toBeGreaterThanOrEqual(254);
  });
});

describe('a scan of many one-packet flows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stays within maxFlows, finalising the oldest early, and loses no packet', () => {
    // 400k SYNs from distinct sources within 4 s: every flow is still live when the table fills.
    const file = join(dir, 'scan.pcap');
    const n = 400_000;
    const fd = openSync(file, 'w');
    const hdr = Buffer.alloc(24);
    hdr.writeUInt32LE(0xa1b2c3d4, 0);
    hdr.writeUInt16LE(2, 4);
    hdr.writeUInt16LE(4, 6);
    hdr.writeUInt32LE(65535, 16);
    hdr.writeUInt32LE(1, 20);
    writeSync(fd, hdr);
    const rec = Buffer.alloc(16 + 54);
    rec.writeUInt32LE(54, 8);
    rec.writeUInt32LE(54, 12);
    Buffer.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0, 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]).copy(rec, 16);
    Buffer.from([192, 0, 2, 1, 0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]).copy(
      rec,
      46,
    );
    const chunk: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const r = Buffer.from(rec);
      r.writeUInt32LE(1_700_000_000 + Math.floor(i / 100_000), 0);
      r.writeUInt32LE(i % 100_000, 4);
      r.writeUInt32BE(0x0a000000 + i, 16 + 26);
      chunk.push(r);
      if (chunk.length === 10_000) writeSync(fd, Buffer.concat(chunk.splice(0)));
    }
    writeSync(fd, Buffer.concat(chunk));
    closeSync(fd);
    const script = `
      const { captureToFile } = require(${JSON.stringify(join(root, 'native', 'capture'))});
      captureToFile({ file: ${JSON.stringify(file)}, maxFlows: 20000, outputFormat: 'none' }).then((r) => {
        process.stdout.write(JSON.stringify({ ...r.stats, rssMiB: process.resourceUsage().maxRSS / 1024 }));
      });`;
    const s = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(s.packets).toBe(n);
    expect(s.flowsCreated).toBe(n);
    expect(s.flowsEvicted).toBeGreaterThanOrEqual(n - 20000);
    expect(s.records).toBe(n);
    expect(s.flowsActive).toBe(0);
    expect(s.rssMiB).toBeLessThan(200);
  });
});
