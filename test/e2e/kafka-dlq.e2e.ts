/**
 * Done-when #4 of the Kafka issue: a malformed message put on a plugin's input
 * topic lands in the dead-letter topic with its reason, and the pipeline goes
 * on: the good records around it reach the sink and the run ends cleanly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { registerLz4Codec } from '@panoptes/bus';
import { testKafkaBrokers, uniqueKafkaPrefix } from '@panoptes/testing';
import { jsonlSource, kafkaBus, pipelineConfig, readOutput, runRole, until, writeFlows } from './kafka-helpers';

jest.setTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), 'panoptes-kafka-dlq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a malformed message on an input topic', () => {
  it('is dead-lettered with its reason while the pipeline goes on', async () => {
    const prefix = uniqueKafkaPrefix('dlq');
    const kafka = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: `${prefix}flows.raw`, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: `${prefix}flows.raw`,
      messages: [
        { key: 'junk', value: '{"uid":"x","seq":0,"saddr":' },
        { key: 'junk2', value: '"just a string"' },
      ],
    });
    await producer.disconnect();

    const input = join(dir, 'in.jsonl');
    const total = writeFlows(input, 500, 4);
    const out = join(dir, 'out.jsonl');
    const cfg = join(dir, 'kafka.yaml');
    writeFileSync(cfg, pipelineConfig(kafkaBus(testKafkaBrokers(), prefix), jsonlSource(input, 100), out));
    const run = runRole(cfg, '--until-done');
    expect(await run.exited).toBe(0);

    const got = readOutput(out);
    expect(got.keys.size).toBe(total);
    expect(got.records.has('x/0')).toBe(false);

    const letters: { value: string; headers: Record<string, string> }[] = [];
    registerLz4Codec(true); // the bus compresses its dead letters with LZ4
    const consumer = kafka.consumer({ groupId: `${prefix}dlq-check` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}flows.raw.dlq`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        letters.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    await until('both dead letters', () => letters.length >= 2);
    await consumer.disconnect();
    const byValue = new Map(letters.map((l) => [l.value, l.headers]));
    expect([...byValue.keys()].sort()).toEqual(['"just a string"', '{"uid":"x","seq":0,"saddr":']);
    expect(byValue.get('{"uid":"x","seq":0,"saddr":')).toMatchObject({
      'panoptes-dlq-reason': expect.stringMatching(/^undecodable message: line 1: invalid JSON: /),
      'panoptes-dlq-topic': 'flows.raw',
      'panoptes-dlq-group': 'geo',
    });
    expect(byValue.get('"just a string"')?.['panoptes-dlq-reason']).toBe(
      'undecodable message: line 1: expected a JSON object, found string',
    );
  });
});
