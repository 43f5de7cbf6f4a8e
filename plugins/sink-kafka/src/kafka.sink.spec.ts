import { Kafka, logLevel } from 'kafkajs';
import { FlowRecord, parseCefExtension } from '@panoptes/flow';
import { formatIssue, validateConfig } from '@panoptes/plugin-sdk';
import { runPlugin, startKafkaBroker, testKafkaBrokers } from '@panoptes/testing';
import { ecsProblems, ocsfProblems, sampleFlows } from '../../../test/e2e/siem-schemas';
import { FlowTotalsTracker, KafkaSinkConfig, sinkKafkaPlugin } from './index';

type Obj = Record<string, any>;

describe('sink-kafka config', () => {
  it('accepts brokers and a topic with the documented defaults', () => {
    const r = validateConfig(KafkaSinkConfig, { brokers: ['127.0.0.1:9092'], topic: 'siem.flows' });
    expect(r.issues).toEqual([]);
    expect(r.value).toMatchObject({ format: 'ecs', idempotent: true, compression: 'gzip', createTopic: false });
  });

  it('reports every bad key at once, nested TLS and SASL keys included', () => {
    const r = validateConfig(KafkaSinkConfig, {
      brokers: ['no-port'],
      topic: 'bad topic',
      format: 'xml',
      sasl: { mechanism: 'gssapi', username: 'u' },
      tls: { caFile: 7 },
    });
    const msgs = r.issues.map(formatIssue);
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^brokers: each broker must be host:port/),
        expect.stringMatching(/^topic: topic may hold/),
        expect.stringMatching(/^format: .*json, ecs, ocsf, cef/),
        expect.stringMatching(/^sasl\.mechanism: /),
        expect.stringMatching(/^sasl\.password: /),
        expect.stringMatching(/^tls\.caFile: /),
      ]),
    );
  });

  it('preflight names a missing CA file and an unset password variable', async () => {
    const v = validateConfig(KafkaSinkConfig, {
      brokers: ['127.0.0.1:9092'],
      topic: 't',
      tls: { caFile: '/nonexistent/ca.pem' },
      sasl: { mechanism: 'plain', username: 'u', password: 'env:PANOPTES_TEST_SURELY_UNSET' },
    });
    expect(await sinkKafkaPlugin.preflight!(v.value!)).toEqual([
      { path: 'tls.caFile', message: 'file not found: /nonexistent/ca.pem' },
      { path: 'sasl.password', message: 'environment variable PANOPTES_TEST_SURELY_UNSET is not set' },
    ]);
  });
});

describe('FlowTotalsTracker', () => {
  const rec = (seq: number, rtype: 'status' | 'final', spkts: number): FlowRecord => ({
    ...sampleFlows()[1],
    seq,
    rtype,
    spkts,
    sbytes: spkts * 100,
  });

  it('sums a flow from record 0 and forgets it after its final record', () => {
    const t = new FlowTotalsTracker(10);
    expect(t.add(rec(0, 'status', 2))).toMatchObject({ spkts: 2, sbytes: 200 });
    expect(t.add(rec(1, 'status', 3))).toMatchObject({ spkts: 5, sbytes: 500 });
    expect(t.add(rec(1, 'status', 3))).toBeUndefined(); // a redelivered duplicate
    expect(t.add(rec(2, 'final', 1))).toMatchObject({ spkts: 6, sbytes: 600 });
    expect(t.size).toBe(0);
  });

  it('reports no total after a gap in the sequence', () => {
    const t = new FlowTotalsTracker(10);
    t.add(rec(0, 'status', 2));
    expect(t.add(rec(2, 'status', 3))).toBeUndefined();
    expect(t.add(rec(3, 'final', 3))).toBeUndefined();
  });
});

describe('sink-kafka on a real broker', () => {
  const brokers = testKafkaBrokers();
  const kafka = new Kafka({ clientId: 'sink-kafka-spec', brokers, logLevel: logLevel.NOTHING });

  async function readTopic(topic: string, n: number): Promise<{ key: string; value: string; headers: Obj }[]> {
    const consumer = kafka.consumer({ groupId: `spec-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: { key: string; value: string; headers: Obj }[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push({
              key: message.key!.toString(),
              value: message.value!.toString(),
              headers: message.headers ?? {},
            });
            if (got.length >= n) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return got;
  }

  it.each(['ecs', 'ocsf', 'cef', 'json'] as const)(
    'publishes %s keyed by flow uid, and dead-letters what is not a flow record',
    async (format) => {
      const topic = `spec.siem.${format}.${Date.now()}`;
      const flows = sampleFlows();
      const run = await runPlugin(
        sinkKafkaPlugin,
        { brokers, topic, format, createTopic: true, topicPartitions: 2 },
        { input: [flows.slice(0, 2), [...flows.slice(2), { not: 'a flow' }]] },
      );
      expect(run.counters.sent).toBe(flows.length);
      expect(run.rejected).toHaveLength(1);
      expect(run.rejected[0].reason).toMatch(/^not a flow record: (missing field uid|unknown field not)$/);
      const got = await readTopic(topic, flows.length);
      expect(got.map((m) => m.key).sort()).toEqual(flows.map((f) => f.uid).sort());
      expect(got.every((m) => m.headers['panoptes-format'].toString() === format)).toBe(true);
      for (const m of got) {
        const f = flows.find((x) => x.uid === m.key)!;
        if (format === 'ecs') {
          const d = JSON.parse(m.value);
          expect(ecsProblems(d)).toEqual([]);
          expect(d.source.bytes).toBe(f.sbytes);
        } else if (format === 'ocsf') {
          const e = JSON.parse(m.value);
          expect(ocsfProblems(e)).toEqual([]);
          expect(e.traffic.bytes_out).toBe(f.sbytes);
          // Only record 0 of a flow starts a running total; f1 arrives as seq 2 without its earlier records.
          if (f.seq === 0) expect(e.cumulative_traffic.bytes_out).toBe(f.sbytes);
          else expect(e.cumulative_traffic).toBeUndefined();
        } else if (format === 'cef') {
          expect(parseCefExtension(m.value).externalId).toBe(`${f.uid}:${f.seq}`);
        } else {
          expect(JSON.parse(m.value)).toMatchObject({ uid: f.uid, sbytes: f.sbytes, dbytes: f.dbytes });
        }
      }
    },
  );

  it('fails start with the broker address when nothing listens there', async () => {
    await expect(
      runPlugin(sinkKafkaPlugin, {
        brokers: ['127.0.0.1:1'],
        topic: 't',
        connectionTimeoutMs: 500,
        requestTimeoutMs: 500,
      }),
    ).rejects.toThrow(/cannot connect to kafka 127\.0\.0\.1:1/);
  });
});

describe('sink-kafka through a broker outage', () => {
  it('fails the batch while the broker is down (so the input is not acknowledged) and delivers it once it is back', async () => {
    const broker = await startKafkaBroker();
    try {
      const topic = `spec.outage.${Date.now()}`;
      const flows = sampleFlows();
      const v = validateConfig(KafkaSinkConfig, {
        brokers: broker.brokers,
        topic,
        format: 'json',
        createTopic: true,
        topicPartitions: 1,
        sendRetries: 1,
        requestTimeoutMs: 1000,
        connectionTimeoutMs: 1000,
      });
      const counters: Record<string, number> = {};
      const ctx = {
        id: 'siem',
        inputs: { records: 'flows.raw' },
        outputs: {},
        log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
        emit: async () => {},
        reject: async () => {},
        gauge: () => {},
        count: (n: string, by = 1) => void (counters[n] = (counters[n] ?? 0) + by),
      };
      const sink = sinkKafkaPlugin.create(v.value!, ctx);
      await sink.start();
      await sink.handle([flows[0]], 'records');
      await broker.stop();
      await expect(sink.handle([flows[1]], 'records')).rejects.toThrow(
        new RegExp(`cannot publish 1 records to ${topic.replace(/\./g, '\\.')}`),
      );
      expect(counters.send_failures).toBe(1);
      await broker.start();
      await sink.handle([flows[1]], 'records'); // the bus's redelivery of the unacknowledged batch
      await sink.stop();
      const k = new Kafka({ clientId: 'outage-reader', brokers: broker.brokers, logLevel: logLevel.NOTHING });
      const consumer = k.consumer({ groupId: 'outage-reader' });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const keys: string[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) =>
              void (keys.push(message.key!.toString()), keys.length >= 2 && resolve()),
          })
          .catch(reject);
      });
      await consumer.disconnect();
      expect(keys).toEqual([flows[0].uid, flows[1].uid]);
      expect(counters.sent).toBe(2);
    } finally {
      await broker.dispose();
    }
  });
});
