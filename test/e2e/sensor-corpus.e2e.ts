/**
 * Bad input: every file under ../shared/data/pcaps (the tcpdump test suite
 * alone holds hundreds of captures made to crash parsers) is read through the
 * native sensor with no crash and no hang. A file either ends cleanly or with
 * an error that names the file and the byte offset; never with a panic. The
 * truncation contract (every flow read before the error is delivered) is
 * checked on a committed fixture so it runs without ../shared too.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture, CaptureError, SensorRecord } from '@panoptes/capture';
import { repoRoot, sharedData } from '@panoptes/testing';

async function readAll(file: string): Promise<{ records: SensorRecord[]; error?: string; packets: number }> {
  const cap = new Capture({ file }).start();
  const records: SensorRecord[] = [];
  try {
    for await (const b of cap.batches()) records.push(...b.records);
    return { records, packets: cap.stats().packets };
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    return { records, error: (err as Error).message, packets: cap.stats().packets };
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out.sort();
}

/** Packet records wholly present before `limit` in a little-endian microsecond pcap. */
function packetsBefore(pcap: Buffer, limit: number): number {
  let off = 24;
  let n = 0;
  while (off + 16 <= limit) {
    const caplen = pcap.readUInt32LE(off + 8);
    if (off + 16 + caplen > limit) break;
    off += 16 + caplen;
    n++;
  }
  return n;
}

describe('sensor on truncated and corrupt captures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-corrupt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fixture = join(repoRoot(), 'test', 'fixtures', 'pcaps', 'gen-200.pcap');

  it('delivers every flow read before a truncation, then names the file and byte offset', async () => {
    const cut = join(dir, 'cut.pcap');
    copyFileSync(fixture, cut);
    const size = 150_003; // inside a packet record
    truncateSync(cut, size);
    const whole = packetsBefore(readFileSync(fixture), size);
    const { records, error, packets } = await readAll(cut);
    expect(packets).toBe(whole);
    expect(records.reduce((s, r) => s + r.spkts + r.dpkts, 0)).toBe(whole);
    // Every flow got its final record before the error ended the input.
    const finals = new Set(records.filter((r) => r.rtype === 'final').map((r) => r.uid));
    expect(new Set(records.map((r) => r.uid))).toEqual(finals);
    const offset = Number(/at byte offset (\d+)$/.exec(error ?? '')?.[1]);
    expect(error).toContain(cut);
    expect(error).toMatch(/truncated packet record/);
    expect(offset).toBeLessThan(size);
    expect(offset).toBeGreaterThan(size - 300);
  });

  it('refuses a file that is not a capture with its name and offset 0', async () => {
    const junk = join(dir, 'junk.pcap');
    require('node:fs').writeFileSync(junk, 'this is not a packet capture at all\n');
    const { records, error } = await readAll(junk);
    expect(records).toEqual([]);
    expect(error).toBe(`${junk}: not a pcap or pcapng file: unknown magic number at byte offset 0`);
  });

  it('refuses a corrupt record length with its offset', async () => {
    const bad = join(dir, 'badlen.pcap');
    const buf = Buffer.from(readFileSync(fixture).subarray(0, 24 + 16 + 100));
    buf.writeUInt32LE(0x7fffffff, 24 + 8); // first record's captured length
    require('node:fs').writeFileSync(bad, buf);
    const { error } = await readAll(bad);
    expect(error).toBe(`${bad}: corrupt packet record: captured length 2147483647 is too large at byte offset 24`);
  });
});

const data = sharedData();
if (!data) console.log('sensor-corpus.e2e: ../shared/data not found, corpus run skipped');

(data ? describe : describe.skip)('sensor over every file in ../shared/data/pcaps', () => {
  it('reads each with no crash or hang; errors name the file and a byte offset', async () => {
    const files = filesUnder(join(data!, 'pcaps'));
    expect(files.length).toBeGreaterThan(900);
    let captures = 0;
    let packets = 0;
    const bad: string[] = [];
    for (const f of files) {
      const { error, packets: n } = await readAll(f);
      packets += n;
      if (!error) {
        captures++;
        continue;
      }
      const isCapture = /\.(pcap|pcapng|cap)$/.test(f);
      if (isCapture) captures++;
      // Text files in the corpus (expected outputs) are refused at offset 0; a
      // capture may end early but the message must say where and why.
      if (!error.startsWith(`${f}: `) || !/ at byte offset \d+$/.test(error) || /panic/.test(error))
        bad.push(`${f}: ${error}`);
    }
    expect(bad).toEqual([]);
    expect(captures).toBeGreaterThan(900);
    expect(packets).toBeGreaterThan(15_000);
  });
});
