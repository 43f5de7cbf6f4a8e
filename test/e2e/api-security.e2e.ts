/**
 * API security and input validation over real HTTP: keys and roles, every
 * malformed request answered 4xx with a message (never a 500), request size
 * and rate limits.
 */
import { join } from 'node:path';
import {
  ADMIN_KEY,
  apiSection,
  cleanup,
  READ_KEY,
  RunningHost,
  startHost,
  startReplayStore,
  tempDir,
  truthFlows,
  writeJsonl,
} from './api-helpers';

describe('REST API security and validation', () => {
  const dir = tempDir('panoptes-api-sec-');
  const { truth, records } = truthFlows({ flows: 300, seed: 3 });
  let host: RunningHost;

  beforeAll(async () => {
    host = await startReplayStore(dir, records, truth.length, { api: apiSection(', rateLimitBurst: 1000') });
  });
  afterAll(async () => {
    expect(await host?.stop()).toBe(0);
    cleanup(dir);
  });

  it('answers only /healthz and /readyz without a key', async () => {
    expect((await host.call('/healthz', { key: null })).status).toBe(200);
    expect((await host.call('/readyz', { key: null })).status).toBe(200);
    for (const path of [
      '/api/v1/flows',
      '/api/v1/flows/aggregate',
      '/api/v1/plugins',
      '/api/v1/pipeline',
      '/api/docs',
      '/api/openapi.json',
      '/metrics',
      '/api/v1/nothing-here',
    ]) {
      const r = await host.call(path, { key: null });
      expect([path, r.status]).toEqual([path, 401]);
      expect(r.body.message).toBe('missing API key: send "Authorization: Bearer <api key>"');
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="panoptes"');
    }
  });

  it('refuses a wrong key and a malformed header with 401', async () => {
    const wrong = await host.call('/api/v1/flows', { key: `${READ_KEY}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('invalid API key');
    const prefix = await host.call('/api/v1/flows', { key: READ_KEY.slice(0, -1) });
    expect(prefix.status).toBe(401);
    const basic = await host.call('/api/v1/flows', {
      key: null,
      headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    expect(basic.body.message).toBe('malformed Authorization header: expected "Bearer <api key>"');
  });

  it('refuses a read key on management routes with 403, and lets it read', async () => {
    for (const [method, path, body] of [
      ['POST', '/api/v1/plugins/replay/start'],
      ['POST', '/api/v1/plugins/store/stop'],
      ['PUT', '/api/v1/plugins/store/config', { path: join(dir, 'other.duckdb') }],
    ] as [string, string, unknown?][]) {
      const r = await host.call(path, { method, body });
      expect([path, r.status, r.body.message]).toEqual([
        path,
        403,
        'this needs an admin API key; the key sent has the read role',
      ]);
    }
    expect((await host.call('/api/v1/plugins/store')).body).toMatchObject({
      state: 'running',
      config: { path: join(dir, 'flows.duckdb') },
    });
    expect((await host.call('/api/v1/plugins')).status).toBe(200);
    expect((await host.call('/metrics')).status).toBe(200);
    expect((await host.call('/api/v1/plugins', { key: ADMIN_KEY })).status).toBe(200);
  });

  it('answers at least 30 kinds of malformed request with a 4xx and a message, never a 500', async () => {
    const page = await host.call('/api/v1/flows?limit=2&filter=tcp');
    expect(page.body.next).toEqual(expect.any(String));
    const otherQueryCursor = page.body.next as string;
    const cases: [string, string, number, RegExp, unknown?, Record<string, string>?][] = [
      ['GET', '/api/v1/flows?limit=0', 400, /limit must not be less than 1, found number 0/],
      ['GET', '/api/v1/flows?limit=10001', 400, /limit must not be greater than 10000/],
      ['GET', '/api/v1/flows?limit=abc', 400, /limit must be a whole number, found "abc"/],
      ['GET', '/api/v1/flows?limit=1.5', 400, /limit must be a whole number/],
      ['GET', '/api/v1/flows?limit=1&limit=2', 400, /limit must be a whole number, found a list of 2/],
      ['GET', '/api/v1/flows?sort=colour', 400, /sort must be a catalogue field name/],
      ['GET', '/api/v1/flows?sort=--stime', 400, /sort must be a catalogue field name/],
      ['GET', '/api/v1/flows?fields=uid,colour', 400, /fields must be catalogue field names/],
      ['GET', `/api/v1/flows?filter=${encodeURIComponent('tcp and and udp')}`, 400, /^filter: /],
      ['GET', `/api/v1/flows?filter=${encodeURIComponent('(tcp or udp')}`, 400, /^filter: /],
      ['GET', `/api/v1/flows?filter=${encodeURIComponent('src net 10.0.0.0/99')}`, 400, /^filter: /],
      ['GET', `/api/v1/flows?filter=${encodeURIComponent('colour eq red')}`, 400, /^filter: /],
      ['GET', `/api/v1/flows?filter=${encodeURIComponent("'; DROP TABLE records; --")}`, 400, /^filter: /],
      [
        'GET',
        `/api/v1/flows?filter=${encodeURIComponent('sport eq 99999999999999999999')}`,
        400,
        /cannot be used in the query|^filter: /,
      ],
      [
        'GET',
        `/api/v1/flows/aggregate?filter=${encodeURIComponent('dur gt 1e400')}`,
        400,
        /^filter: not a finite number/,
      ],
      ['GET', `/api/v1/flows/live?filter=${encodeURIComponent('dur gt 1e400')}`, 400, /^filter: not a finite number/],
      [
        'GET',
        `/api/v1/flows?filter=${'x'.repeat(5000)}`,
        400,
        /filter must be shorter than or equal to 4096 characters/,
      ],
      ['GET', '/api/v1/flows?from=yesterday', 400, /from must be a time: epoch seconds/],
      ['GET', '/api/v1/flows?to=2023-13-45T99:00', 400, /to must be a time/],
      ['GET', '/api/v1/flows?from=1700000100&to=1700000000', 400, /from must be before to/],
      ['GET', '/api/v1/flows?cursor=not*a*cursor', 400, /cursor must be the `next` value/],
      [
        'GET',
        `/api/v1/flows?cursor=${Buffer.from('{"k":1}').toString('base64url')}`,
        400,
        /cursor is not one this API made/,
      ],
      ['GET', `/api/v1/flows?limit=2&filter=udp&cursor=${otherQueryCursor}`, 400, /cursor belongs to another query/],
      ['GET', '/api/v1/flows?records=maybe', 400, /records must be true or false/],
      ['GET', '/api/v1/flows?colour=red', 400, /unknown parameter "colour"/],
      ['GET', '/api/v1/flows/aggregate?by=colour', 400, /by: unknown field "colour"/],
      ['GET', '/api/v1/flows/aggregate?by=dport/24', 400, /a prefix length applies to address fields only/],
      ['GET', '/api/v1/flows/aggregate?by=saddr/200', 400, /prefix length must be 0 to 128/],
      ['GET', '/api/v1/flows/aggregate?by=saddr,saddr', 400, /by names a key twice/],
      ['GET', '/api/v1/flows/aggregate?by=Saddr!', 400, /by must be field names/],
      ['GET', '/api/v1/flows/aggregate?metrics=colour', 400, /unknown metric "colour"/],
      ['GET', '/api/v1/flows/aggregate?metrics=bytes,bytes', 400, /metrics names one twice/],
      ['GET', '/api/v1/flows/aggregate?metrics=state', 400, /unknown metric "state"/],
      ['GET', '/api/v1/flows/aggregate?top=0', 400, /top must not be less than 1/],
      ['GET', '/api/v1/flows/aggregate?bin=0', 400, /bin must not be less than 1/],
      ['GET', '/api/v1/flows/aggregate?bin=-5', 400, /bin must not be less than 1/],
      ['GET', '/api/v1/flows/aggregate?bin=1&from=0&to=1000000000', 200, /./],
      ['GET', `/api/v1/flows/live?filter=${encodeURIComponent('tcp and')}`, 400, /^filter: /],
      ['GET', '/api/v1/flows/live?fields=nope', 400, /fields must be catalogue field names/],
      ['GET', '/api/v1/plugins/NOPE!!', 400, /plugin id must be lowercase letters/],
      ['GET', '/api/v1/plugins/nosuch', 404, /no plugin instance "nosuch"/],
      ['POST', '/api/v1/plugins/nosuch/start', 404, /no plugin instance "nosuch"/],
      ['PUT', '/api/v1/plugins/replay/config', 400, /expected the new config as a JSON object/, '[1,2]'],
      ['PUT', '/api/v1/plugins/replay/config', 400, /request body is not valid JSON/, '{"path": '],
      [
        'PUT',
        '/api/v1/plugins/replay/config',
        400,
        /expected the new config as a JSON object/,
        'path=x',
        { 'Content-Type': 'text/plain' },
      ],
      ['PUT', '/api/v1/plugins/replay/config', 413, /request body too large/, { path: 'x'.repeat(70000) }],
      ['PUT', '/api/v1/plugins/replay/config', 400, /invalid config \(1 error\)/, {}],
      ['GET', '/api/v1/nothing-here', 404, /Cannot GET \/api\/v1\/nothing-here/],
      ['DELETE', '/api/v1/flows', 404, /Cannot DELETE/],
    ];
    const malformed = cases.filter((c) => c[2] >= 400);
    expect(malformed.length).toBeGreaterThanOrEqual(30);
    const wrong: string[] = [];
    for (const [method, path, status, message, body, headers] of cases) {
      const r = await host.call(path, { method, key: method === 'GET' ? READ_KEY : ADMIN_KEY, body, headers });
      const text = typeof r.body === 'object' ? r.body.message : r.body;
      if (r.status !== status || (status >= 400 && !(typeof text === 'string' && message.test(text)))) {
        wrong.push(`${method} ${path.slice(0, 80)}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      }
    }
    expect(wrong).toEqual([]);
    // Nothing was changed by the refused requests.
    expect((await host.call('/api/v1/plugins/replay')).body.config.path).toBe(join(dir, 'flows.jsonl'));
    expect(host.proc.stderr()).not.toMatch(/request failed/);
  });

  it('lists every problem of a request at once', async () => {
    const r = await host.call('/api/v1/flows?limit=0&sort=nope&records=maybe');
    expect(r.status).toBe(400);
    expect(r.body.errors).toHaveLength(3);
    expect(r.body.message.split('; ')).toHaveLength(3);
  });
});

describe('REST API rate limit', () => {
  const dir = tempDir('panoptes-api-rate-');
  let host: RunningHost;
  beforeAll(async () => {
    const input = writeJsonl(join(dir, 'flows.jsonl'), truthFlows({ flows: 50, seed: 5 }).records);
    host = await startHost(
      `${apiSection(', rateLimitPerSec: 1, rateLimitBurst: 3')}
plugins:
  - { id: replay, use: source-jsonl, output: flows.raw, with: { path: ${input} } }
  - { id: store, use: sink-store, input: flows.raw, with: { path: \${dir}/flows.duckdb } }
`,
      dir,
    );
  });
  afterAll(async () => {
    expect(await host?.stop()).toBe(0);
    cleanup(dir);
  });

  it('answers 429 with Retry-After past the burst, per client, and never limits the probes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await host.call('/api/v1/plugins')).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toContain(429);
    const r = await host.call('/api/v1/plugins');
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r.body.message).toMatch(/^rate limit exceeded: retry in \d+ s$/);
    // Another key has its own budget.
    expect((await host.call('/api/v1/plugins', { key: ADMIN_KEY })).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await host.call('/healthz', { key: null })).status).toBe(200);
  });
});
