/// <reference lib="dom" />
/**
 * The host serves the web console itself: `npm run build` puts it in
 * dist/console, `panoptes run` answers / with it, every file it loads comes
 * from the host (no CDN), under a Content-Security-Policy that forbids any
 * other origin, and it starts in Debian's chromium without a script error.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, launchChromium, PanoptesProcess, repoRoot, spawnPanoptes } from '@panoptes/testing';

const ARTIFACTS = join(repoRoot(), 'test-results', 'console');

const describeIf = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.log(`console e2e skipped: ${CHROMIUM} missing (apt-get install -y chromium)`);

describeIf('the host serves the web console', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-console-serve-'));
  let host: PanoptesProcess;
  let base: string;

  beforeAll(async () => {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, '');
    const cfg = join(dir, 'panoptes.yaml');
    writeFileSync(
      cfg,
      [
        'bus: { type: embedded }',
        'api: { listen: "127.0.0.1:0", keys: { admin: [serve-e2e-key] } }',
        'plugins:',
        '  - id: src',
        '    use: source-jsonl',
        `    with: { path: ${JSON.stringify(input)} }`,
        '    output: flows.raw',
        '  - id: out',
        '    use: sink-file',
        '    input: flows.raw',
        `    with: { path: ${JSON.stringify(join(dir, 'out.jsonl'))} }`,
      ].join('\n') + '\n',
    );
    host = spawnPanoptes(['run', '-c', cfg]);
    base = await host.apiUrl();
  });

  afterAll(async () => {
    host?.kill();
    if (host) await host.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers / with the console page and its assets, each under a same-origin-only policy', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.sort()).toEqual(['console/console.css', 'console/favicon.svg', 'console/main.js']);
    for (const a of assets) {
      const res = await fetch(`${base}/${a}`);
      expect([a, res.status]).toEqual([a, 200]);
    }
    // Modules import each other without an extension; the host answers with the .js file.
    const mod = await fetch(`${base}/console/live.view`);
    expect(mod.status).toBe(200);
    expect(mod.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // The field catalogue is built from libs/flow, not copied by hand.
    const fields = (await (await fetch(`${base}/console/fields.json`)).json()) as { name: string }[];
    expect(fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['saddr', 'daddr', 'sbytes', 'dbytes', 'sco', 'das', 'dname']),
    );
    for (const bad of ['..%2Fpackage.json', '.tsbuildinfo', 'main.ts'])
      expect((await fetch(`${base}/console/${bad}`)).status).toBe(404);
  });

  it('starts in Chromium without a script error, loading nothing from elsewhere, and asks for a key', async () => {
    const browser = await launchChromium();
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      const errors: string[] = [];
      const foreign: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => !r.url().startsWith(base) && foreign.push(r.url()));
      await page.goto(`${base}/`);
      await page.waitForSelector('form.signin #api-key');
      expect(await page.textContent('form.signin h1')).toBe('Panoptes');
      expect(await page.getAttribute('#api-key', 'type')).toBe('password');
      expect(errors).toEqual([]);
      expect(foreign).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'signin-served-by-host.png') });
    } finally {
      await browser.close();
    }
  });
});
