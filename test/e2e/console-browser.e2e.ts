/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate() callbacks run in the browser: the DOM types are for them.
/**
 * The web console in a real browser (Debian's chromium driven by
 * playwright-core) against the real host fed by a real capture: gen-pcap.py
 * writes a pcap and its ground truth, sensor-pcap meters it, sink-store keeps
 * the flows, and the console at / reads them over /api/v1. Expected values
 * come from the truth file, never from the API under test.
 *
 * Screenshots of every page (laptop and 4K, light and dark) are saved to
 * test-results/console/ as test artifacts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  CHROMIUM,
  genPcap,
  genPcapScript,
  launchChromium,
  PanoptesProcess,
  repoRoot,
  spawnPanoptes,
  TruthFlow,
} from '@panoptes/testing';
import { PLUGINS } from '../../apps/panoptes/src/plugins';

const ARTIFACTS = join(repoRoot(), 'test-results', 'console');
const ADMIN_KEY = 'console-e2e-admin-key';
const READ_KEY = 'console-e2e-read-key';
const TOP = 10;

/** Top talkers by source address, bytes both ways, as the overview's table ranks them. */
function topTalkers(truth: TruthFlow[]): { addr: string; bytes: number }[] {
  const by = new Map<string, number>();
  for (const f of truth) by.set(f.saddr, (by.get(f.saddr) ?? 0) + f.sbytes + f.dbytes);
  return [...by.entries()]
    .map(([addr, bytes]) => ({ addr, bytes }))
    .sort((a, b) => b.bytes - a.bytes || (a.addr < b.addr ? -1 : 1));
}

const bytesOf = (cell: string): number => Number(cell.replace(/[\s\u2009,]/g, ''));

async function api<T>(base: string, path: string, key = ADMIN_KEY): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}/api/v1${path}`, { headers: { Authorization: `Bearer ${key}` } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls until `ready` holds; the deadline only stops a hung host from hanging the run. */
async function until(what: string, ready: () => Promise<boolean>, deadlineMs = 90_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** python3 runs the repository's gen-pcap.py. */
function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Skipped only for something really absent from this machine or build, named in one line.
const missing = [
  existsSync(CHROMIUM) ? '' : `${CHROMIUM} (apt-get install -y chromium)`,
  hasPython() ? '' : `python3 (runs ${genPcapScript()})`,
  ...['sensor-pcap', 'sink-store'].map((id) =>
    PLUGINS.has(id) ? '' : `the ${id} plugin (apps/panoptes/src/plugins.ts)`,
  ),
].filter(Boolean);
if (missing.length) console.log(`console e2e skipped, missing: ${missing.join('; ')}`);
const describeIf = missing.length ? describe.skip : describe;

describeIf('web console in Chromium against a host fed by a capture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-console-e2e-'));
  let truth: TruthFlow[];
  let host: PanoptesProcess;
  let base: string;
  let browser: BrowserContext;
  let page: Page;

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const capture = genPcap({ flows: 2000, seed: 9 });
    const pcap = capture.pcap;
    truth = capture.truth();
    const cfg = join(dir, 'panoptes.yaml');
    writeFileSync(
      cfg,
      [
        'bus: { type: embedded }',
        `api: { listen: "127.0.0.1:0", keys: { admin: [${ADMIN_KEY}], read: [${READ_KEY}] } }`,
        'plugins:',
        '  - id: sensor',
        '    use: sensor-pcap',
        `    with: { file: ${JSON.stringify(pcap)} }`,
        '    output: flows.raw',
        '  - id: store',
        '    use: sink-store',
        '    input: flows.raw',
        `    with: { path: ${JSON.stringify(join(dir, 'flows.duckdb'))} }`,
      ].join('\n') + '\n',
    );
    host = spawnPanoptes(['run', '-c', cfg]);
    base = await host.apiUrl();
    // The capture is a file: the sensor ends with it; then the store holds every flow.
    await until('sensor finished', async () => {
      const { body } = await api<{ plugins: { id: string; state: string }[] }>(base, '/plugins');
      return body.plugins.some((p) => p.id === 'sensor' && p.state === 'finished');
    });
    const total = truth.reduce((a, f) => a + f.sbytes + f.dbytes, 0);
    await until('store drained', async () => {
      // No `by`: one group, the whole store.
      const { body } = await api<{ groups: { bytes: number }[] }>(base, '/flows/aggregate?metrics=bytes');
      return (body.groups[0]?.bytes ?? 0) >= total;
    });

    browser = await launchChromium({ colorScheme: 'light' });
    page = browser.pages()[0] ?? (await browser.newPage());
    // Nothing the page loads may come from outside the host (no CDN).
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) throw new Error(`console requested ${r.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    host?.kill();
    if (host) await host.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for an API key and refuses a wrong one', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#api-key');
    await shot('signin-laptop-light');
    await page.fill('#api-key', 'not-a-key');
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('#signin-error:not([hidden])');
    expect(await page.textContent('#signin-error')).toBe('This key is not accepted.');
    await page.fill('#api-key', ADMIN_KEY);
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('header.top nav a[aria-current]');
    expect(await page.getAttribute('header.top nav a[aria-current]', 'data-page')).toBe('live');
  });

  it("overview: the top-talker table shows the capture's top sources and their byte counts", async () => {
    const expected = topTalkers(truth);
    await page.click('nav a[data-page=overview]');
    await page.selectOption('#overview-range', 'all');
    await page.waitForSelector('.overview[data-state=ready] #top-talkers tbody tr[data-key]');
    const rows = await page.$$eval('#top-talkers tbody tr[data-key]', (trs) =>
      trs.map((tr) => [tr.children[1].textContent ?? '', tr.children[2].textContent ?? '']),
    );
    expect(rows).toHaveLength(Math.min(TOP, expected.length));
    expect(rows.map(([addr, bytes]) => ({ addr, bytes: bytesOf(bytes) }))).toEqual(expected.slice(0, TOP));
    // The bytes/s chart covers the capture: one bin per second of its span, with traffic in it.
    const bins = await page.$$eval('#chart-bytes rect.pt', (r) => r.length);
    const span = Math.max(...truth.map((f) => f.ltime)) - Math.min(...truth.map((f) => f.stime));
    expect(bins).toBeGreaterThanOrEqual(Math.floor(span));
    await shot('overview-laptop-light');
  });

  it('live: a filter narrows the list to the flows it matches, sorting by bytes orders them', async () => {
    // A host with a handful of flows, picked from the truth: every row must involve it.
    const counts = new Map<string, number>();
    for (const f of truth) for (const a of [f.saddr, f.daddr]) counts.set(a, (counts.get(a) ?? 0) + 1);
    const [addr, n] = [...counts.entries()]
      .filter(([a, c]) => c >= 3 && c <= 20 && !a.includes(':'))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];

    await page.click('nav a[data-page=live]');
    await page.waitForSelector('#live-table tbody tr[data-uid]');
    // Unfiltered, the back-filled list holds flows of many other hosts.
    const before = await page.$$eval('#live-table tbody tr[data-uid]', (trs) => trs.map((tr) => tr.textContent!));
    expect(before.filter((t) => !t.includes(addr)).length).toBeGreaterThan(n);

    await page.fill('#live-filter', `host ${addr}`);
    await page.press('#live-filter', 'Enter');
    await page.waitForFunction((a) => {
      const rows = [...document.querySelectorAll('#live-table tbody tr[data-uid]')];
      return rows.length > 0 && rows.every((r) => r.textContent!.includes(a));
    }, addr);
    const rows = await page.$$eval('#live-table tbody tr[data-uid]', (trs) =>
      trs.map((tr) => ({
        src: tr.querySelector('[data-col=src]')!.textContent!,
        dst: tr.querySelector('[data-col=dst]')!.textContent!,
        bytes: tr.querySelector('[data-col=bytes]')!.textContent!,
      })),
    );
    expect(rows).toHaveLength(n);
    for (const r of rows)
      expect(r.src.startsWith(`${addr}:`) || r.src === addr || r.dst.startsWith(`${addr}:`) || r.dst === addr).toBe(
        true,
      );
    const want = truth
      .filter((f) => f.saddr === addr || f.daddr === addr)
      .map((f) => f.sbytes + f.dbytes)
      .sort((a, b) => b - a);
    await page.click('#live-table th button[data-sort=bytes]');
    await page.waitForSelector('#live-table th[aria-sort=descending] button[data-sort=bytes]');
    const sorted = await page.$$eval('#live-table tbody tr[data-uid] [data-col=bytes]', (tds) =>
      tds.map((td) => td.textContent!),
    );
    expect(sorted.map(bytesOf)).toEqual(want);

    // The detail panel shows every field of the flow, the key fields as the row has them.
    const last = '#live-table tbody tr[data-uid]:last-child';
    const lastSrc = (await page.textContent(`${last} [data-col=src]`))!;
    await page.click(last);
    await page.waitForSelector('aside.detail');
    expect(await page.textContent('aside.detail dd[data-field=saddr]')).toBe(lastSrc.replace(/:\d+$/, ''));
    for (const field of ['sco', 'dco', 'sas', 'das', 'sname', 'dname', 'tcprtt'])
      expect(await page.$(`aside.detail dd[data-field=${field}]`)).not.toBeNull();
    await shot('live-laptop-light');
  });

  it("live: a bad filter shows the server's error inline", async () => {
    const bad = 'tcp and dst port';
    const { status, body } = await api<{ message: string | string[] }>(
      base,
      `/flows?filter=${encodeURIComponent(bad)}&limit=1`,
    );
    expect(status).toBe(400);
    const message = Array.isArray(body.message) ? body.message.join('\n') : body.message;
    await page.fill('#live-filter', bad);
    await page.press('#live-filter', 'Enter');
    await page.waitForSelector('#live-filter-error:not([hidden])');
    expect(await page.textContent('#live-filter-error .msg')).toBe(message);
    // When the message names a column, the expression is shown again with a caret under it.
    const column = /column (\d+)/.exec(message)?.[1];
    if (column)
      expect(await page.textContent('#live-filter-error pre.caret')).toBe(`${bad}\n${' '.repeat(Number(column) - 1)}^`);
    expect(await page.getAttribute('#live-filter', 'aria-invalid')).toBe('true');
    await shot('live-filter-error-laptop-light');
    // Fixing the filter clears the error.
    await page.fill('#live-filter', 'tcp');
    await page.press('#live-filter', 'Enter');
    await page.waitForSelector('#live-filter-error', { state: 'hidden' });
  });

  it('pipeline: shows the plugin graph and lets an admin stop and start a plugin', async () => {
    await page.click('nav a[data-page=pipeline]');
    await page.waitForSelector('.pipeline[data-state=ready] #plugins-table tr[data-plugin=store]');
    expect(
      await page.$$eval('#pipeline-graph g.plugin', (gs) => gs.map((g) => g.getAttribute('data-plugin')).sort()),
    ).toEqual(['sensor', 'store']);
    // The config's flows.raw, and every other output the sensor has by default (its DNS answers).
    const topics = new Set([
      ...Object.values({ ...PLUGINS.get('sensor-pcap')!.outputs, flows: 'flows.raw' }),
      'flows.raw',
    ]);
    expect(
      await page.$$eval('#pipeline-graph g.topic', (gs) => gs.map((g) => g.getAttribute('data-topic')).sort()),
    ).toEqual([...topics].sort());
    expect(await page.textContent('#plugins-table tr[data-plugin=sensor] .badge')).toBe('finished');
    await shot('pipeline-laptop-light');

    await page.click('#plugins-table tr[data-plugin=store] button');
    await page.waitForSelector('#plugins-table tr[data-plugin=store] .badge.state-stopped');
    expect(
      (await api<{ plugins: { id: string; state: string }[] }>(base, '/plugins')).body.plugins.find(
        (p) => p.id === 'store',
      )?.state,
    ).toBe('stopped');
    await page.click('#plugins-table tr[data-plugin=store] button');
    await page.waitForSelector('#plugins-table tr[data-plugin=store] .badge.state-running');
  });

  it('live: flows of a second capture arrive over the live stream and fold into the list', async () => {
    // A second capture, fed to the finished sensor while the page is live: its records reach the
    // page only through GET /flows/live. A host with flows in both captures, few in all.
    const second = genPcap({ flows: 300, seed: 10 }).truth();
    const flowsOf = (t: TruthFlow[], a: string) => t.filter((f) => f.saddr === a || f.daddr === a);
    const [addr] = [...new Set(second.flatMap((f) => [f.saddr, f.daddr]))]
      .filter(
        (a) => !a.includes(':') && flowsOf(truth, a).length >= 1 && flowsOf([...truth, ...second], a).length <= 20,
      )
      .sort((a, b) => flowsOf(second, b).length - flowsOf(second, a).length || (a < b ? -1 : 1));
    const want = flowsOf([...truth, ...second], addr)
      .map((f) => f.sbytes + f.dbytes)
      .sort((a, b) => b - a);
    const rowBytes = () =>
      page.$$eval('#live-table tbody tr[data-uid] [data-col=bytes]', (tds) => tds.map((td) => td.textContent!));

    await page.click('nav a[data-page=live]');
    await page.fill('#live-filter', `host ${addr}`);
    await page.press('#live-filter', 'Enter');
    await page.waitForSelector('.live[data-state=live] #live-table tbody tr[data-uid]');
    expect((await rowBytes()).map(bytesOf)).toEqual(
      flowsOf(truth, addr)
        .map((f) => f.sbytes + f.dbytes)
        .sort((a, b) => b - a),
    );

    const put = await fetch(`${base}/api/v1/plugins/sensor/config`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ file: genPcap({ flows: 300, seed: 10 }).pcap }),
    });
    expect(put.status).toBe(200);
    const start = await fetch(`${base}/api/v1/plugins/sensor/start`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(start.status).toBe(200);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#live-table tbody tr[data-uid]').length === n,
      want.length,
    );
    await until(
      'the second capture folded in',
      async () => JSON.stringify((await rowBytes()).map(bytesOf)) === JSON.stringify(want),
    );
    expect((await rowBytes()).map(bytesOf)).toEqual(want);
    // The status line counts what came over the stream: every record of the new flows, none of the old.
    expect(
      Number(
        /([\d\s\u2009,.]+) live records/
          .exec((await page.textContent('.live .status'))!)?.[1]
          .replace(/[\s\u2009,]/g, ''),
      ),
    ).toBeGreaterThanOrEqual(flowsOf(second, addr).length);
    await shot('live-stream-laptop-light');
  });

  it('renders every page on a 4K screen and in the dark theme', async () => {
    for (const [label, viewport, scheme] of [
      ['laptop-dark', { width: 1366, height: 768 }, 'dark'],
      ['4k-light', { width: 3840, height: 2160 }, 'light'],
      ['4k-dark', { width: 3840, height: 2160 }, 'dark'],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      // Dark backgrounds are dark, light ones light: the theme follows the system preference.
      const lum =
        bg
          .match(/\d+/g)!
          .slice(0, 3)
          .map(Number)
          .reduce((a, b) => a + b, 0) / 3;
      expect(scheme === 'dark' ? lum < 64 : lum > 192).toBe(true);
      for (const p of ['live', 'overview', 'pipeline']) {
        await page.click(`nav a[data-page=${p}]`);
        await page.waitForSelector(`.${p}[data-state]`);
        if (p === 'overview') await page.waitForSelector('.overview[data-state=ready]');
        await shot(`${p}-${label}`);
      }
    }
  });
});
