/**
 * Done-when #1 of the Kafka issue: sensor -> enrichment -> sink over a real
 * Kafka broker with each plugin in its own process (`panoptes run --only`)
 * gives the same flow set as the embedded run of the same config, which
 * differs only in its `bus:` line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKafkaBrokers } from '@panoptes/testing';
import { FIXTURES, kafkaBus, pipelineConfig, readOutput, runRole, stopRole, until } from './kafka-helpers';

jest.setTimeout(180_000);

const dir = mkdtempSync(join(tmpdir(), 'panoptes-kafka-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sensor = `  - id: sensor\n    use: sensor-pcap\n    with: { file: ${JSON.stringify(join(FIXTURES, 'pcaps', 'gen-200.pcap'))} }`;

describe('sensor -> geo -> sink over Kafka, one process per role', () => {
  it('delivers the same records, by uid and seq, as the embedded run', async () => {
    const embeddedOut = join(dir, 'embedded.jsonl');
    const embeddedCfg = join(dir, 'embedded.yaml');
    writeFileSync(embeddedCfg, pipelineConfig('bus: { type: embedded }', sensor, embeddedOut));
    const embedded = runRole(embeddedCfg, '--until-done');
    expect(await embedded.exited).toBe(0);
    const want = readOutput(embeddedOut);
    expect(want.lines).toBeGreaterThan(100);
    expect(want.keys.size).toBe(want.lines);

    const kafkaOut = join(dir, 'kafka.jsonl');
    const kafkaCfg = join(dir, 'kafka.yaml');
    writeFileSync(kafkaCfg, pipelineConfig(kafkaBus(testKafkaBrokers()), sensor, kafkaOut));
    const sink = runRole(kafkaCfg, '--only', 'sink');
    const geo = runRole(kafkaCfg, '--only', 'geo');
    try {
      await sink.waitFor(/plugin started plugin=sink/);
      await geo.waitFor(/plugin started plugin=geo/);
      const sensorRun = runRole(kafkaCfg, '--only', 'sensor', '--until-done');
      expect(await sensorRun.exited).toBe(0);
      // The sensor process ran the sensor alone: nothing else started in it.
      expect(sensorRun.stderr()).not.toMatch(/plugin started plugin=(geo|sink)/);
      await until('every record at the sink', () => readOutput(kafkaOut).keys.size >= want.keys.size);
    } finally {
      expect(await stopRole(geo)).toBe(0);
      expect(await stopRole(sink)).toBe(0);
    }
    const got = readOutput(kafkaOut);
    expect([...got.keys].sort()).toEqual([...want.keys].sort());
    // Same records, field for field (enrichment included), not just the same keys.
    for (const [k, r] of want.records) expect(got.records.get(k)).toEqual(r);
    // And the same bytes: records that crossed Kafka as text, labelled on their text, are
    // written exactly as the embedded run encodes the labelled objects.
    const sortedLines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean).sort();
    expect(sortedLines(kafkaOut)).toEqual(sortedLines(embeddedOut));
    expect(geo.stderr()).not.toMatch(/plugin started plugin=(sensor|sink)/);
  });
});
