import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnPanoptes } from '@panoptes/testing';

const FIX = resolve(__dirname, '../fixtures/mmdb');
const BAD = resolve(__dirname, '../../../shared/data/mmdb/maxmind-test-data/bad-data');

const config = (dir: string, geo: string, input: string, output: string) =>
  [
    'bus: { type: embedded }',
    'api: { enabled: false }',
    'plugins:',
    '  - id: src',
    '    use: source-jsonl',
    `    with: { path: ${JSON.stringify(input)} }`,
    '    output: flows.raw',
    '  - id: geo',
    '    use: enrich-geoip',
    '    input: flows.raw',
    '    output: flows.geo',
    `    with: ${geo}`,
    '  - id: out',
    '    use: sink-file',
    '    input: flows.geo',
    `    with: { path: ${JSON.stringify(output)} }`,
  ].join('\n') + '\n';

const flow = (i: number, saddr: string, daddr: string) =>
  JSON.stringify({
    uid: `u${i}`,
    seq: 0,
    rtype: 'final',
    sid: 'e2e',
    stime: 1.7e9 + i,
    ltime: 1.7e9 + i,
    dur: 0,
    proto: 'tcp',
    saddr,
    dir: '->',
    daddr,
    spkts: 1,
    dpkts: 1,
    sbytes: 60,
    dbytes: 60,
  });

describe('enrich-geoip through the built CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-geo-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('labels flows from the City and ASN test databases', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, [flow(0, '2.125.160.216', '1.128.0.0'), flow(1, '10.0.0.1', '81.2.69.160')].join('\n') + '\n');
    const cfg = join(dir, 'ok.yaml');
    writeFileSync(
      cfg,
      config(
        dir,
        `{ cityDb: ${JSON.stringify(join(FIX, 'GeoIP2-City-Test.mmdb'))}, asnDb: ${JSON.stringify(join(FIX, 'GeoLite2-ASN-Test.mmdb'))} }`,
        input,
        output,
      ),
    );
    const p = spawnPanoptes(['run', '-c', cfg, '--until-done']);
    expect(await p.exited).toBe(0);
    const out = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((f) => [f.sco, f.scity, f.snet, f.das, f.dasorg, f.dco])).toEqual([
      ['GB', 'Boxford', undefined, 1221, 'Telstra Pty Ltd', undefined],
      [undefined, undefined, 'private', undefined, undefined, 'GB'],
    ]);
  });

  it('refuses a corrupt database at start with the plugin, key and reason, and starts nothing', async () => {
    const cut = join(dir, 'cut.mmdb');
    writeFileSync(cut, readFileSync(join(FIX, 'GeoIP2-City-Test.mmdb')).subarray(0, 4096));
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(
      cfg,
      config(
        dir,
        `{ cityDb: ${JSON.stringify(cut)}, asnDb: /nonexistent/GeoLite2-ASN.mmdb }`,
        join(dir, 'in.jsonl'),
        join(dir, 'never.jsonl'),
      ),
    );
    const p = spawnPanoptes(['run', '-c', cfg, '--until-done']);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain(
      `plugins[1] "geo" (enrich-geoip): cityDb: not a valid MaxMind DB file: ${cut}: no MaxMind DB metadata marker`,
    );
    expect(p.stderr()).toContain(
      'plugins[1] "geo" (enrich-geoip): asnDb: file not found: /nonexistent/GeoLite2-ASN.mmdb',
    );
    expect(existsSync(join(dir, 'never.jsonl'))).toBe(false);
  });

  const corpus = existsSync(BAD);
  if (!corpus) console.log(`skipping the bad-data corpus through the CLI: ${BAD} is absent`);
  (corpus ? it : it.skip)('run --check gives one clear error per bad-data database', async () => {
    const files = ['libmaxminddb', 'maxminddb-golang', 'maxminddb-python'].flatMap((d) =>
      readdirSync(join(BAD, d))
        .filter((f) => f.endsWith('.mmdb'))
        .map((f) => join(BAD, d, f)),
    );
    expect(files.length).toBeGreaterThanOrEqual(20);
    const local = files.map((f, i) => {
      const to = join(dir, `bad${i}.mmdb`);
      copyFileSync(f, to);
      return to;
    });
    for (const path of local) {
      const cfg = join(dir, 'check.yaml');
      writeFileSync(
        cfg,
        config(dir, `{ countryDb: ${JSON.stringify(path)} }`, join(dir, 'in.jsonl'), join(dir, 'x.jsonl')),
      );
      const p = spawnPanoptes(['run', '-c', cfg, '--check']);
      expect(await p.exited).toBe(1);
      expect(p.stderr()).toMatch(
        new RegExp(
          `plugins\\[1\\] "geo" \\(enrich-geoip\\): countryDb: (not a valid MaxMind DB file|database "[^"]*" holds no country data): ${path}`,
        ),
      );
      expect(p.stderr()).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
    }
  });
});
