/**
 * The SIEM path end to end on a real Apache Kafka broker (Jest's global set-up
 * starts it): the built host runs ingest-zeek -> sink-kafka (ECS, OCSF and CEF
 * topics) with --until-done, then a plain Kafka consumer reads each SIEM topic
 * from the beginning, as a SIEM's ingester would, and checks every message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { parseCefExtension } from '@panoptes/flow';
import { repoRoot, spawnPanoptes, testKafkaBrokers } from '@panoptes/testing';
import { ecsProblems, ocsfProblems } from './siem-schemas';
import { oracle } from './zeek-oracle';

type Obj = Record<string, any>;

const brokers = testKafkaBrokers();
const kafka = new Kafka({ clientId: 'siem-e2e-consumer', brokers, logLevel: logLevel.NOTHING });
const dir = mkdtempSync(join(tmpdir(), 'siem-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads a topic from the beginning with a fresh consumer group until n messages have arrived. */
async function consume(topic: string, n: number): Promise<{ key: string; value: string; partition: number }[]> {
  const consumer = kafka.consumer({ groupId: `siem-e2e-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: { key: string; value: string; partition: number }[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message, partition }) => {
          got.push({ key: message.key!.toString(), value: message.value!.toString(), partition });
          if (got.length >= n) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return got;
}

describe('SIEM output on a real Kafka broker', () => {
  const inputs = ['conn.log', 'rita-conn.json.log', 'ppp-conn.log'].map((n) =>
    join(repoRoot(), 'test', 'fixtures', 'zeek', n),
  );
  const rows = inputs.flatMap((f) => oracle(f).rows.filter((r) => r.kind === 'conn'));
  const stamp = Date.now();
  const topics = { ecs: `siem.ecs.${stamp}`, ocsf: `siem.ocsf.${stamp}`, cef: `siem.cef.${stamp}` };

  beforeAll(async () => {
    const sinks = Object.entries(topics)
      .map(
        ([format, topic]) => `  - id: siem_${format}
    use: sink-kafka
    input: flows.raw
    with: { brokers: [${brokers.join(', ')}], topic: ${topic}, format: ${format}, createTopic: true, topicPartitions: 3 }`,
      )
      .join('\n');
    const sources = inputs
      .map(
        (path, i) => `  - id: zeek${i}
    use: ingest-zeek
    outputs: { flows: flows.raw, dns: dns.answers }
    with: { path: ${JSON.stringify(path)}, sid: e2e }`,
      )
      .join('\n');
    const cfg = join(dir, 'siem.yaml');
    writeFileSync(cfg, `bus: { type: embedded }\napi: { enabled: false }\nplugins:\n${sinks}\n${sources}\n`);
    const p = spawnPanoptes(['run', '-c', cfg, '--until-done']);
    const code = await p.exited;
    if (code !== 0) throw new Error(`panoptes run exited ${code}:\n${p.stderr().slice(-3000)}`);
  });

  it('the ECS topic holds one ECS document per flow, keyed by flow uid, every field of ECS type', async () => {
    const got = await consume(topics.ecs, rows.length);
    expect(got.map((m) => m.key).sort()).toEqual(rows.map((r) => r.uid).sort());
    const docs = got.map((m) => JSON.parse(m.value) as Obj);
    for (const d of docs) expect(ecsProblems(d)).toEqual([]);
    const sum = (f: (d: Obj) => number) => docs.reduce((a, d) => a + f(d), 0);
    expect(sum((d) => d.source.bytes)).toBe(rows.reduce((a, r) => a + r.origIpBytes, 0));
    expect(sum((d) => d.destination.packets)).toBe(rows.reduce((a, r) => a + r.respPkts, 0));
    expect(new Set(docs.map((d) => d.observer.name))).toEqual(new Set(['e2e']));
  });

  it('the OCSF topic holds valid Network Activity events whose traffic adds up to the source', async () => {
    const got = await consume(topics.ocsf, rows.length);
    const events = got.map((m) => JSON.parse(m.value) as Obj);
    for (const e of events) expect(ocsfProblems(e)).toEqual([]);
    expect(new Set(events.map((e) => e.class_uid))).toEqual(new Set([4001]));
    expect(events.reduce((a, e) => a + e.traffic.packets_out, 0)).toBe(rows.reduce((a, r) => a + r.origPkts, 0));
    expect(events.reduce((a, e) => a + e.traffic.bytes_in, 0)).toBe(rows.reduce((a, r) => a + r.respIpBytes, 0));
    // Each Zeek row is a whole flow (seq 0, final), so its cumulative traffic is its own traffic.
    for (const e of events) expect(e.cumulative_traffic).toEqual(e.traffic);
  });

  it('the CEF topic holds one CEF line per flow; records of one flow share a partition', async () => {
    const got = await consume(topics.cef, rows.length);
    expect(got.every((m) => m.value.startsWith('CEF:0|Panoptes|Panoptes|'))).toBe(true);
    expect(got.map((m) => parseCefExtension(m.value).externalId).sort()).toEqual(rows.map((r) => `${r.uid}:0`).sort());
    const byKey = new Map<string, Set<number>>();
    for (const m of got) byKey.set(m.key, (byKey.get(m.key) ?? new Set()).add(m.partition));
    expect([...byKey.values()].every((s) => s.size === 1)).toBe(true);
  });
});
