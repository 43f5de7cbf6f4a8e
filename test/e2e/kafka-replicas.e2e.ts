/**
 * Done-when #2 of the Kafka issue: two replicas of a transform share one
 * consumer group; one is killed with SIGKILL mid-stream, and every record
 * still reaches the sink (counted by uid + seq). Delivery is at-least-once:
 * what the killed replica had handled but not committed is handled again by
 * the survivor, so the sink may see a record twice but never misses one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { testKafkaBrokers, uniqueKafkaPrefix } from '@panoptes/testing';
import {
  jsonlSource,
  kafkaBus,
  metric,
  pipelineConfig,
  readOutput,
  runRole,
  stopRole,
  until,
  writeFlows,
} from './kafka-helpers';

jest.setTimeout(240_000);

const dir = mkdtempSync(join(tmpdir(), 'panoptes-kafka-replicas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('two replicas of a transform in one group', () => {
  it('loses nothing when one replica is killed with SIGKILL mid-stream', async () => {
    const input = join(dir, 'in.jsonl');
    const total = writeFlows(input, 20_000, 10);
    const out = join(dir, 'out.jsonl');
    const cfg = join(dir, 'kafka.yaml');
    const prefix = uniqueKafkaPrefix('replicas');
    writeFileSync(cfg, pipelineConfig(kafkaBus(testKafkaBrokers(), prefix), jsonlSource(input, 500), out));

    const sink = runRole(cfg, '--only', 'sink');
    const geoA = runRole(cfg, '--only', 'geo');
    const geoB = runRole(cfg, '--only', 'geo');
    try {
      const urlA = await geoA.apiUrl();
      await Promise.all([
        sink.waitFor(/plugin started plugin=sink/),
        geoA.waitFor(/plugin started/),
        geoB.waitFor(/plugin started/),
      ]);
      // Both replicas must own partitions before the stream starts.
      const admin = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await until('two members in the geo group', async () => {
        const g = (await admin.describeGroups([`${prefix}geo`])).groups[0];
        return g.state === 'Stable' && g.members.length === 2;
      });
      await admin.disconnect();

      const source = runRole(cfg, '--only', 'source', '--until-done');
      await until(
        'replica A to be handling records',
        async () => ((await metric(urlA, 'panoptes_plugin_records_in_total', { plugin: 'geo' })) ?? 0) > 0,
      );
      await until('the stream to be under way at the sink', () => readOutput(out).lines > total / 20);
      const before = readOutput(out).keys.size;
      geoA.kill('SIGKILL');
      expect(await geoA.exited).toBe(128);
      // Killed mid-stream: the sink had not got everything yet.
      expect(before).toBeLessThan(total);

      expect(await source.exited).toBe(0);
      await until('every record at the sink', () => readOutput(out).keys.size >= total, 900);
    } catch (err) {
      process.stderr.write(`sink:\n${sink.stderr().slice(-3000)}\ngeoB:\n${geoB.stderr().slice(-3000)}\n`);
      throw err;
    } finally {
      geoA.kill('SIGKILL');
      expect(await stopRole(geoB)).toBe(0);
      expect(await stopRole(sink)).toBe(0);
    }
    const got = readOutput(out);
    const want = new Set<string>();
    for (let f = 0; f < 20_000; f++) for (let s = 0; s < 10; s++) want.add(`k${f}/${s}`);
    expect(got.keys.size).toBe(total);
    expect([...got.keys].filter((k) => !want.has(k))).toEqual([]);
    expect(got.lines).toBeGreaterThanOrEqual(total);
    // The survivor took over the dead replica's partitions.
    expect(geoB.stderr()).toMatch(/plugin stopped plugin=geo/);
  });
});
