/**
 * Done-when #3 of the Kafka issue: the broker is stopped for more than 10 s
 * while a pipeline (one process per role) is under load, then started again.
 * Nothing is lost, every role recovers by itself (no restart, no operator),
 * and the outage shows as consumer lag in the transform's /metrics. The test
 * runs its own broker so stopping it disturbs no other test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaTestBroker, startKafkaBroker } from '@panoptes/testing';
import {
  jsonlSource,
  kafkaBus,
  metric,
  pipelineConfig,
  readOutput,
  runRole,
  sleep,
  stopRole,
  until,
  writeFlows,
} from './kafka-helpers';

jest.setTimeout(300_000);

const dir = mkdtempSync(join(tmpdir(), 'panoptes-kafka-outage-'));
let broker: KafkaTestBroker | undefined;
afterAll(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const OUTAGE_MS = 10_500;

describe('a broker outage under load', () => {
  it('loses nothing, recovers unattended and shows the outage as lag', async () => {
    broker = await startKafkaBroker();
    const input = join(dir, 'in.jsonl');
    const total = writeFlows(input, 30_000, 10);
    const out = join(dir, 'out.jsonl');
    const cfg = join(dir, 'kafka.yaml');
    writeFileSync(cfg, pipelineConfig(kafkaBus(broker.brokers), jsonlSource(input, 500), out));

    const sink = runRole(cfg, '--only', 'sink');
    const geo = runRole(cfg, '--only', 'geo');
    let source: ReturnType<typeof runRole> | undefined;
    const lag = { beforeStop: 0, afterRestart: 0 };
    try {
      const geoUrl = await geo.apiUrl();
      await Promise.all([sink.waitFor(/plugin started plugin=sink/), geo.waitFor(/plugin started plugin=geo/)]);
      source = runRole(cfg, '--only', 'source', '--until-done');
      await until('the stream to be under way at the sink', () => readOutput(out).lines > total / 50);
      const depth = () => metric(geoUrl, 'panoptes_topic_queue_depth', { topic: 'flows.raw', group: 'geo' });

      await broker.stop();
      const atStop = readOutput(out).keys.size;
      expect(atStop).toBeLessThan(total);
      await sleep(OUTAGE_MS);
      await broker.start();

      // Watch the lag while the pipeline catches up, until the sink has everything.
      await until(
        'every record at the sink after the outage',
        async () => {
          lag.afterRestart = Math.max(lag.afterRestart, (await depth()) ?? 0);
          return readOutput(out).keys.size >= total;
        },
        900,
      );
      expect(await source.exited).toBe(0);
      await until('the lag to drain to zero', async () => (await depth()) === 0);
    } catch (err) {
      for (const [name, p] of Object.entries({ source, geo, sink })) {
        process.stderr.write(
          `--- ${name}:\n${p
            ?.stderr()
            .split('\n')
            .filter((l) => !l.includes('kafka client'))
            .slice(-25)
            .join('\n')}\n`,
        );
      }
      throw err;
    } finally {
      if (source) await stopRole(source);
      expect(await stopRole(geo)).toBe(0);
      expect(await stopRole(sink)).toBe(0);
    }
    const got = readOutput(out);
    expect(got.keys.size).toBe(total);
    expect(got.lines).toBeGreaterThanOrEqual(total);
    // The source felt the outage (its publishes waited) and got through by itself.
    expect(source.stderr()).toMatch(/kafka unreachable, publish waits and retries/);
    expect(source.stderr()).toMatch(/kafka reachable again/);
    // Records that piled up during the outage showed as consumer lag of the transform.
    expect(lag.afterRestart).toBeGreaterThan(0);
  });
});
