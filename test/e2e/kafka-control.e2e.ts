/**
 * Remote management over the Kafka control topic (@nestjs/microservices Kafka
 * transport): a plugin worker in another process is listed, inspected,
 * stopped, reconfigured and started again by a manager in this process, as
 * the host's management API does through remotePluginsOf(host).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer, connect, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKafkaBrokers, uniqueKafkaPrefix } from '@panoptes/testing';
import { createControlTopics, RemoteWorkers, startControl } from '../../apps/panoptes/src/runtime/remote-control';
import { PluginHost } from '../../apps/panoptes/src/runtime/plugin-host';
import { GEO_WITH, jsonlSource, kafkaBus, pipelineConfig, runRole, stopRole, until } from './kafka-helpers';

jest.setTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), 'panoptes-kafka-control-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('remote management over the Kafka control topic', () => {
  it('lists, inspects, stops, reconfigures and starts a plugin in another process', async () => {
    const prefix = uniqueKafkaPrefix('control');
    const cfg = join(dir, 'kafka.yaml');
    writeFileSync(
      cfg,
      pipelineConfig(
        kafkaBus(testKafkaBrokers(), prefix),
        jsonlSource(join(dir, 'none.jsonl')),
        join(dir, 'out.jsonl'),
      ),
    );
    const worker = runRole(cfg, '--only', 'geo');
    const manager = new RemoteWorkers({ brokers: testKafkaBrokers(), topicPrefix: prefix, groupPrefix: prefix }, 1_000);
    try {
      await worker.waitFor(/control worker listening/);
      await createControlTopics({ brokers: testKafkaBrokers(), topicPrefix: prefix, groupPrefix: prefix });
      await manager.start();
      const workers = await until(
        'the worker to answer a list',
        async () => {
          const l = await manager.list();
          return l.length > 0 && l;
        },
        60,
      );
      expect(workers).toHaveLength(1);
      expect(workers[0]).toMatchObject({ pid: worker.proc.pid, ok: true });
      expect(workers[0].instances.map((i) => [i.id, i.use, i.state])).toEqual([['geo', 'enrich-geoip', 'running']]);

      expect(await manager.command('inspect', 'geo')).toMatchObject({ id: 'geo', kind: 'transform', state: 'running' });
      expect(await manager.command('stop', 'geo')).toMatchObject({ id: 'geo', state: 'stopped' });

      await expect(manager.command('reconfigure', 'geo', { cityDb: '/nonexistent.mmdb' })).rejects.toThrow(
        /cityDb: file not found: \/nonexistent\.mmdb/,
      );
      const geoWith = Function(`return (${GEO_WITH.replace(/(\w+):/g, '"$1":')})`)() as Record<string, string>;
      const reconfigured = await manager.command('reconfigure', 'geo', { ...geoWith, cacheSize: 1234 });
      expect(reconfigured.config).toMatchObject({ cacheSize: 1234 });
      expect(await manager.command('start', 'geo')).toMatchObject({ id: 'geo', state: 'running' });

      await expect(manager.command('inspect', 'sink')).rejects.toThrow(/no worker runs plugin instance "sink"/);
    } finally {
      await manager.stop();
      expect(await stopRole(worker)).toBe(0);
    }
  });

  it('is reached through the host management API: remote instances listed and steered over HTTP', async () => {
    const prefix = uniqueKafkaPrefix('control-api');
    const cfg = join(dir, 'kafka-api.yaml');
    writeFileSync(
      cfg,
      pipelineConfig(
        kafkaBus(testKafkaBrokers(), prefix),
        jsonlSource(join(dir, 'none.jsonl')),
        join(dir, 'out-api.jsonl'),
      ),
    );
    const host = runRole(cfg, '--only', 'sink');
    const worker = runRole(cfg, '--only', 'geo');
    try {
      await worker.waitFor(/control worker listening/);
      await host.waitFor(/control worker listening/);
      const key = (await host.waitFor(/admin key for this run: (\S+)/))[1];
      const url = await host.apiUrl();
      const call = async (path: string, init: RequestInit = {}) => {
        const res = await fetch(`${url}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const listed = await until(
        'the API to list the remote geo instance',
        async () => {
          const r = await call('/api/v1/plugins');
          return r.body.plugins?.some((p: any) => p.id === 'geo') && r.body;
        },
        60,
      );
      expect(listed.plugins.map((p: any) => [p.id, p.state, !!p.remote])).toEqual(
        expect.arrayContaining([
          ['sink', 'running', false],
          ['geo', 'running', true],
        ]),
      );
      expect(listed.workers).toEqual([expect.objectContaining({ pid: worker.proc.pid, instances: ['geo'] })]);

      const stopped = await call('/api/v1/plugins/geo/stop', { method: 'POST' });
      expect([stopped.status, stopped.body.state, stopped.body.remote]).toEqual([200, 'stopped', true]);
      expect((await call('/api/v1/plugins/geo')).body).toMatchObject({ id: 'geo', state: 'stopped', remote: true });

      const bad = await call('/api/v1/plugins/geo/config', {
        method: 'PUT',
        body: JSON.stringify({ cityDb: '/nonexistent.mmdb' }),
      });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/cityDb: file not found: \/nonexistent\.mmdb/);

      const started = await call('/api/v1/plugins/geo/start', { method: 'POST' });
      expect([started.status, started.body.state]).toEqual([200, 'running']);
      expect((await call('/api/v1/plugins/nosuch')).status).toBe(404);
    } finally {
      expect(await stopRole(worker)).toBe(0);
      expect(await stopRole(host)).toBe(0);
    }
  });

  it('is tried again, by itself, when it cannot start, and answers once the broker can be reached', async () => {
    const prefix = uniqueKafkaPrefix('control-retry');
    // A bootstrap address with nothing behind it yet; later a proxy to the
    // test broker (whose metadata then names its own address).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const [brokerHost, brokerPort] = testKafkaBrokers()[0].split(':');
    const sockets: Socket[] = [];
    const host = { list: () => [], get: () => undefined } as unknown as PluginHost;
    const control = await startControl(
      host,
      { type: 'kafka', brokers: [`127.0.0.1:${port}`], topicPrefix: prefix, groupPrefix: prefix },
      200,
    );
    let proxy: Server | undefined;
    const manager = new RemoteWorkers({ brokers: testKafkaBrokers(), topicPrefix: prefix, groupPrefix: prefix }, 1_000);
    try {
      expect(control).toBeDefined();
      proxy = createServer((client) => {
        const upstream = connect(Number(brokerPort), brokerHost);
        sockets.push(client, upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((r) => proxy!.listen(port, '127.0.0.1', r));
      await createControlTopics({ brokers: testKafkaBrokers(), topicPrefix: prefix, groupPrefix: prefix });
      await manager.start();
      const me = await until('the retried control channel to answer a list', async () => {
        const l = await manager.list();
        return l.find((w) => w.pid === process.pid);
      });
      expect(me.ok).toBe(true);
      expect(me.instances).toEqual([]);
    } finally {
      await manager.stop();
      await control?.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    }
  });
});
