import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPanoptes } from '@panoptes/testing';
import { buildProgram } from '../../apps/panoptes/src/cli/program';

const rec = (i: number) =>
  JSON.stringify({
    uid: `u${i}`,
    seq: 0,
    rtype: 'final',
    sid: 'e2e',
    stime: 1.5,
    ltime: 2.5,
    dur: 1,
    proto: 'tcp',
    saddr: '10.1.0.1',
    sport: 1000 + i,
    dir: '->',
    daddr: '10.2.0.2',
    dport: 443,
    spkts: 2,
    dpkts: 1,
    sbytes: 140,
    dbytes: 66,
  });

describe('the panoptes host and CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-host-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'in.jsonl');
  writeFileSync(input, [rec(1), rec(2), 'oops', rec(3)].join('\n') + '\n');

  it('answers --help on every subcommand', async () => {
    const names: string[][] = [];
    const walk = (cmd: ReturnType<typeof buildProgram>, path: string[]) => {
      for (const c of cmd.commands) {
        names.push([...path, c.name()]);
        walk(c, [...path, c.name()]);
      }
    };
    walk(buildProgram(), []);
    expect(names.map((n) => n.join(' '))).toEqual(expect.arrayContaining(['run']));
    for (const n of names) {
      const p = spawnPanoptes([...n, '--help']);
      expect(await p.exited).toBe(0);
      expect(p.stdout()).toMatch(new RegExp(`^Usage: panoptes ${n.join(' ')} `));
    }
  });

  it('run --check lists every error with its key path and exits 1; a good file exits 0', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      `plugins:
  - id: src
    use: source-jsonl
    with: { path: ${join(dir, 'missing.jsonl')} }
  - id: out
    use: sink-file
    input: flows.nowhere
    with: { path: out.jsonl, colour: blue }
  - id: out
    use: no-such-plugin
`,
    );
    const p = spawnPanoptes(['run', '--check', '-c', bad]);
    expect(await p.exited).toBe(1);
    const lines = p.stderr().trim().split('\n');
    expect(lines[0]).toBe(`${bad}: 4 errors`);
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      'plugins[1] "out" (sink-file): colour: unknown key "colour" (line 8)',
      expect.stringMatching(
        /^plugins\[2\] "out" \(no-such-plugin\): use: unknown plugin "no-such-plugin", expected one of .*sink-file.* \(line 10\)$/,
      ),
      'plugins[2] "out" (no-such-plugin): id: duplicate id "out", already used by plugins[1] (line 9)',
      'plugins[1] "out" (sink-file): input: dangling topic "flows.nowhere": no plugin writes it (line 7)',
    ]);
  });

  it('run --check also opens what the config names (preflight) and reports it', async () => {
    const cfg = join(dir, 'pre.yaml');
    writeFileSync(
      cfg,
      `plugins:\n  - { id: src, use: source-jsonl, with: { path: ${join(dir, 'missing.jsonl')} } }\n  - { id: out, use: sink-file, input: flows.raw, with: { path: ${join(dir, 'o.jsonl')} } }\n`,
    );
    const p = spawnPanoptes(['run', '--check', '-c', cfg]);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain(
      `plugins[0] "src" (source-jsonl): path: file not found: ${join(dir, 'missing.jsonl')}`,
    );
    writeFileSync(cfg.replace('pre', 'good'), readFileSync(cfg, 'utf8').replace(join(dir, 'missing.jsonl'), input));
    const q = spawnPanoptes(['run', '--check', '-c', cfg.replace('pre', 'good')]);
    expect(await q.exited).toBe(0);
    expect(q.stdout()).toContain('ok (2 plugin instances)');
  });

  it('takes the config from PANOPTES_CONFIG and says so when there is none', async () => {
    const p = spawnPanoptes(['run', '--check'], { PANOPTES_CONFIG: '' });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('no config: pass -c FILE or set PANOPTES_CONFIG');
  });

  it('serves /healthz, /readyz and /metrics with per-plugin counts and queue depth, and stops on SIGTERM', async () => {
    const out = join(dir, 'served.jsonl');
    const cfg = join(dir, 'serve.yaml');
    writeFileSync(
      cfg,
      `api: { listen: "127.0.0.1:0", publicMetrics: true }
plugins:
  - { id: src, use: source-jsonl, with: { path: ${input} } }
  - { id: out, use: sink-file, input: flows.raw, with: { path: ${out} } }
`,
    );
    const p = spawnPanoptes(['run', '-c', cfg]);
    const url = await p.apiUrl();
    await p.waitFor(/source finished plugin=src/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    let metrics = '';
    for (let i = 0; i < 50 && !/records_in_total\{plugin="out",port="records"\} 3\b/.test(metrics); i++) {
      metrics = await (await fetch(`${url}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(metrics).toMatch(/^panoptes_plugin_records_out_total\{plugin="src",port="flows"\} 3$/m);
    expect(metrics).toMatch(/^panoptes_plugin_records_in_total\{plugin="out",port="records"\} 3$/m);
    expect(metrics).toMatch(/^panoptes_plugin_errors_total\{plugin="src",reason="[^"]+"\} 1$/m);
    expect(metrics).toMatch(/^panoptes_plugin_events_total\{plugin="src",name="bad_lines"\} 1$/m);
    expect(metrics).toMatch(/^panoptes_topic_queue_depth\{topic="flows.raw",group="out"\} 0$/m);
    expect(metrics).toMatch(/^panoptes_topic_queue_capacity\{topic="flows.raw",group="out"\} 50000$/m);
    p.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).uid),
    ).toEqual(['u1', 'u2', 'u3']);
  });

  it('run --until-done exits 0 after the files are read and the pipeline drained', async () => {
    const out = join(dir, 'done.jsonl');
    const cfg = join(dir, 'done.yaml');
    writeFileSync(
      cfg,
      `api: { enabled: false }\nplugins:\n  - { id: src, use: source-jsonl, with: { path: ${input} } }\n  - { id: out, use: sink-file, input: flows.raw, with: { path: ${out}, format: csv, fields: [uid, sbytes] } }\n`,
    );
    const p = spawnPanoptes(['run', '--until-done', '-c', cfg]);
    expect(await p.exited).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('uid,sbytes\nu1,140\nu2,140\nu3,140\n');
  });

  it('applies an instance filter (ra language) to what that instance reads', async () => {
    const out = join(dir, 'filtered.jsonl');
    const cfg = join(dir, 'filter.yaml');
    writeFileSync(
      cfg,
      `api: { enabled: false }\nplugins:\n  - { id: src, use: source-jsonl, with: { path: ${input} } }\n  - { id: out, use: sink-file, input: flows.raw, filter: "tcp and src port 1002", with: { path: ${out} } }\n`,
    );
    const p = spawnPanoptes(['run', '--until-done', '-c', cfg]);
    expect(await p.exited).toBe(0);
    expect(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).uid),
    ).toEqual(['u2']);
  });

  it('run --until-done refuses a source that never ends', async () => {
    const cfg = join(dir, 'stdin.yaml');
    writeFileSync(
      cfg,
      `plugins:\n  - { id: src, use: source-jsonl, with: { path: "-" } }\n  - { id: out, use: sink-file, input: flows.raw, with: { path: ${join(dir, 'x.jsonl')} } }\n`,
    );
    const p = spawnPanoptes(['run', '--until-done', '-c', cfg]);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain(
      'plugins[0] "src" (source-jsonl): --until-done needs every source to be finite (a file)',
    );
  });
});
