/**
 * `panoptes convert --from zeek` over every real Zeek log in ../shared/data/zeek
 * (the built CLI, `npm run build` first): the flow records match the source row
 * for row (counts, packet and byte totals, uids in order), DNS answers match the
 * answered rows, and every broken line is reported as file:line. Skips with one
 * line when the corpus is absent.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { FlowRecord, flowRecordProblem } from '@panoptes/flow';
import { sharedData, spawnPanoptes } from '@panoptes/testing';
import { oracle } from './zeek-oracle';

const data = sharedData();
const zeekDir = data && join(data, 'zeek');

function logsUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return logsUnder(p);
    return /\.log$|\.btest-baseline$/.test(n) ? [p] : [];
  });
}

const files = zeekDir ? logsUnder(zeekDir).sort() : [];
const out = mkdtempSync(join(tmpdir(), 'zeek-convert-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function convert(file: string): Promise<{ code: number; records: Record<string, unknown>[]; stderr: string }> {
  const target = join(out, relative(zeekDir!, file).replace(/[/]/g, '_') + '.jsonl');
  const p = spawnPanoptes(['convert', '--from', 'zeek', file, '-w', target]);
  const code = await p.exited;
  const text = readFileSync(target, 'utf8');
  return {
    code,
    records: text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    stderr: p.stderr(),
  };
}

(zeekDir ? describe : describe.skip)('panoptes convert --from zeek over ../shared/data/zeek', () => {
  it('finds the corpus, the broken logs included', () => {
    const names = files.map((f) => relative(zeekDir!, f));
    expect(names).toEqual(
      expect.arrayContaining(['rita/truncated/conn.log', 'rita/text_file/conn.log', 'zeek-cut-logs/conn.log']),
    );
  });

  it.each(files.map((f) => [relative(zeekDir ?? '', f), f]))(
    '%s matches the source row for row',
    async (_name, file) => {
      const o = oracle(file);
      const { code, records, stderr } = await convert(file);
      const flows = records.filter((r) => 'uid' in r) as unknown as FlowRecord[];
      const answers = records.filter((r) => 'qname' in r);
      const conn = o.rows.filter((r) => r.kind === 'conn');
      expect(flows.map((f) => f.uid)).toEqual(conn.map((r) => r.uid));
      const total = (k: 'spkts' | 'dpkts' | 'sbytes' | 'dbytes') => flows.reduce((a, f) => a + f[k], 0);
      expect([total('spkts'), total('dpkts'), total('sbytes'), total('dbytes')]).toEqual([
        conn.reduce((a, r) => a + r.origPkts, 0),
        conn.reduce((a, r) => a + r.respPkts, 0),
        conn.reduce((a, r) => a + r.origIpBytes, 0),
        conn.reduce((a, r) => a + r.respIpBytes, 0),
      ]);
      expect(answers).toHaveLength(o.rows.filter((r) => r.kind === 'dns' && r.answered).length);
      for (const f of flows) expect(flowRecordProblem(f)).toBeUndefined();
      const reported = [
        ...stderr.matchAll(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+): `, 'gm')),
      ].map((m) => Number(m[1]));
      expect(reported).toEqual(o.badLines);
      expect(code).toBe(o.badLines.length ? 3 : 0);
    },
  );

  it.each([
    'rita/truncated/conn.log',
    'rita/truncated/conn_json.log',
    'rita/truncated/conn_top.log',
    'rita/text_file/conn.log',
  ])('the deliberately broken %s gives line-numbered errors and no crash', async (name) => {
    const file = join(zeekDir!, name);
    const { code, stderr } = await convert(file);
    expect(code).toBe(3);
    expect(stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: \\S`, 'm'));
    expect(stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
  });
});

if (!zeekDir) {
  console.log('zeek-convert.e2e: ../shared/data/zeek not found, corpus checks skipped');
}
