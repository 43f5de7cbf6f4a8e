/**
 * Plugin management, the live feed, the pipeline graph and the OpenAPI
 * document over real HTTP: a running sink is reconfigured and behaves
 * differently without a restart, a bad config changes nothing, and the live
 * feed carries exactly the new records that pass its filter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_NAMES } from '@panoptes/flow';
import {
  ADMIN_KEY,
  apiSection,
  cleanup,
  READ_KEY,
  RunningHost,
  startHost,
  tempDir,
  truthFlows,
  until,
  writeJsonl,
} from './api-helpers';

/** Reads `event: flow` records from an SSE response until `n` arrived (bounded in time). */
async function readEvents(res: Response, n: number, timeoutMs = 30_000): Promise<any[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const out: any[] = [];
  let buf = '';
  const end = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < end) {
    let timer: NodeJS.Timeout | undefined;
    const { value, done } = await Promise.race([
      reader.read(),
      new Promise<{ value: undefined; done: true }>(
        (r) => (timer = setTimeout(() => r({ value: undefined, done: true }), Math.max(1, end - Date.now()))),
      ),
    ]);
    clearTimeout(timer);
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const type = /^event: (.*)$/m.exec(ev)?.[1];
      const data = /^data: (.*)$/m.exec(ev)?.[1];
      if (type === 'flow' && data) out.push(JSON.parse(data));
      if (type === 'dropped') throw new Error(`live feed dropped records: ${data}`);
    }
  }
  await reader.cancel();
  return out;
}

describe('REST API: plugins, live feed, pipeline, OpenAPI', () => {
  const dir = tempDir('panoptes-api-plugins-');
  const a = truthFlows({ flows: 400, seed: 21 }).records;
  // The second file's flows are new flows: other uids.
  const b: Record<string, any>[] = truthFlows({ flows: 300, seed: 22 }).records.map((r) => ({
    ...r,
    uid: `b${r.uid}`,
  }));
  const fileA = writeJsonl(join(dir, 'a.jsonl'), a);
  const fileB = writeJsonl(join(dir, 'b.jsonl'), b);
  let host: RunningHost;
  const admin = { key: ADMIN_KEY };

  beforeAll(async () => {
    host = await startHost(
      `${apiSection()}
plugins:
  - { id: replay, use: source-jsonl, output: flows.raw, with: { path: ${fileA} } }
  - { id: store, use: sink-store, input: flows.raw, with: { path: \${dir}/flows.duckdb } }
  - { id: archive, use: sink-file, input: flows.raw, with: { path: \${dir}/archive.jsonl } }
`,
      dir,
    );
    await until(
      async () => (await host.call('/api/v1/plugins/store')).body.stats?.stored === a.length,
      'file A stored',
    );
  });
  afterAll(async () => {
    expect(await host?.stop()).toBe(0);
    cleanup(dir);
  });

  it('lists the instances with state, config and counters', async () => {
    const r = await host.call('/api/v1/plugins');
    expect(r.body.plugins.map((p: any) => [p.id, p.use, p.kind, p.state])).toEqual([
      ['store', 'sink-store', 'sink', 'running'],
      ['archive', 'sink-file', 'sink', 'running'],
      ['replay', 'source-jsonl', 'source', 'finished'],
    ]);
    const store = await host.call('/api/v1/plugins/store');
    expect(store.body).toMatchObject({
      config: { path: join(dir, 'flows.duckdb'), retentionDays: 0 },
      stats: { stored: a.length, duplicates: 0 },
      metrics: { recordsIn: a.length, errors: 0, up: 1, events: { stored: a.length } },
    });
  });

  it('applies a new config to a running sink without a restart, and streams the new records live', async () => {
    const pid = host.proc.proc.pid;
    const live = await fetch(`${host.url}/api/v1/flows/live?filter=udp&fields=uid,proto,seq`, {
      headers: { Authorization: `Bearer ${READ_KEY}` },
    });
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const csv = join(dir, 'archive.csv');
    const re = await host.call('/api/v1/plugins/archive/config', {
      ...admin,
      method: 'PUT',
      body: { path: csv, format: 'csv', fields: ['uid', 'proto'] },
    });
    expect(re.status).toBe(200);
    expect(re.body).toMatchObject({ state: 'running', config: { path: csv, format: 'csv' } });
    const src = await host.call('/api/v1/plugins/replay/config', { ...admin, method: 'PUT', body: { path: fileB } });
    expect(src.status).toBe(200);
    expect((await host.call('/api/v1/plugins/replay/start', { ...admin, method: 'POST' })).body.config.path).toBe(
      fileB,
    );
    const udp = b.filter((r) => r.proto === 'udp');
    const events = await readEvents(live, udp.length);
    expect(events).toEqual(udp.map((r) => ({ uid: r.uid, proto: 'udp', seq: r.seq })));
    await until(
      async () => (await host.call('/api/v1/plugins/store')).body.stats.stored === a.length + b.length,
      'file B stored',
    );
    // The archive now writes CSV with the two fields, to the new file; the old one holds file A as JSON.
    await until(async () => readFileSync(csv, 'utf8').split('\n').length === b.length + 2, 'the csv archive');
    expect(readFileSync(csv, 'utf8')).toBe(['uid,proto', ...b.map((r) => `${r.uid},${r.proto}`)].join('\n') + '\n');
    expect(
      readFileSync(join(dir, 'archive.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).uid),
    ).toEqual(a.map((r) => r.uid));
    expect(host.proc.proc.pid).toBe(pid);
    expect(host.proc.stderr()).not.toMatch(/plugin started plugin=store[\s\S]*plugin started plugin=store/);
  });

  it('refuses a bad config with every error and changes nothing', async () => {
    const before = (await host.call('/api/v1/plugins/archive')).body.config;
    const r = await host.call('/api/v1/plugins/archive/config', {
      ...admin,
      method: 'PUT',
      body: { path: '', format: 'xml', rotateBytes: -1, colour: 'red' },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('invalid config (4 errors)');
    expect([...r.body.errors].sort()).toEqual(
      [
        'plugins[2] "archive" (sink-file): colour: unknown key "colour"',
        'plugins[2] "archive" (sink-file): format: format must be one of the following values: json, csv, found "xml"',
        'plugins[2] "archive" (sink-file): path: path should not be empty, found ""',
        'plugins[2] "archive" (sink-file): rotateBytes: rotateBytes must not be less than 0, found number -1',
      ].sort(),
    );
    expect((await host.call('/api/v1/plugins/archive')).body).toMatchObject({ state: 'running', config: before });
    const s = await host.call('/api/v1/plugins/store/config', {
      ...admin,
      method: 'PUT',
      body: { path: 5, retentionDays: -1 },
    });
    expect(s.status).toBe(400);
    expect(s.body.errors).toEqual([
      'plugins[1] "store" (sink-store): path: path must be a string, found number 5',
      'plugins[1] "store" (sink-store): retentionDays: retentionDays must not be less than 0, found number -1',
    ]);
    expect((await host.call('/api/v1/plugins/store')).body).toMatchObject({
      state: 'running',
      config: { path: join(dir, 'flows.duckdb'), retentionDays: 0 },
    });
  });

  it('shows the pipeline: instances, topics, who writes and reads them, and what was delivered', async () => {
    const r = await host.call('/api/v1/pipeline');
    expect(r.status).toBe(200);
    expect(r.body.bus).toBe('embedded');
    expect(r.body.nodes.map((n: any) => n.id).sort()).toEqual(['archive', 'replay', 'store']);
    expect(r.body.edges).toEqual(
      expect.arrayContaining([
        { from: 'replay', to: 'store', topic: 'flows.raw' },
        { from: 'replay', to: 'archive', topic: 'flows.raw' },
      ]),
    );
    const t = r.body.topics.find((x: any) => x.name === 'flows.raw');
    expect(t.producers).toEqual(['replay']);
    expect(t.groups.map((g: any) => [g.group, g.delivered, g.depth]).sort()).toEqual([
      ['archive', a.length + b.length, 0],
      ['store', a.length + b.length, 0],
    ]);
    expect(t.ratePerSec).toEqual(expect.any(Number));
  });

  it('stops and starts an instance; the API keeps reading the store meanwhile', async () => {
    expect((await host.call('/api/v1/plugins/store/stop', { ...admin, method: 'POST' })).body.state).toBe('stopped');
    const q = await host.call('/api/v1/flows/aggregate?metrics=count&records=true');
    expect(q.body.groups[0].count).toBe(a.length + b.length);
    expect((await host.call('/api/v1/plugins/store/start', { ...admin, method: 'POST' })).body.state).toBe('running');
    expect((await host.call('/readyz', { key: null })).status).toBe(200);
  });

  it('serves the OpenAPI document and Swagger UI behind the key', async () => {
    const doc = await host.call('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/flows',
        '/api/v1/flows/aggregate',
        '/api/v1/flows/live',
        '/api/v1/plugins',
        '/api/v1/plugins/{id}',
        '/api/v1/plugins/{id}/start',
        '/api/v1/plugins/{id}/stop',
        '/api/v1/plugins/{id}/config',
        '/api/v1/pipeline',
      ]),
    );
    const params = doc.body.paths['/api/v1/flows'].get.parameters.map((p: any) => p.name).sort();
    expect(params).toEqual(['cursor', 'fields', 'filter', 'from', 'limit', 'records', 'sort', 'to']);
    expect(Object.keys(doc.body.components.schemas.FlowRecord.properties)).toEqual([...FIELD_NAMES]);
    const ui = await fetch(`${host.url}/api/docs`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger-ui/i);
  });
});
