import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { Kafka, logLevel } from 'kafkajs';
import { testKafkaBrokers, uniqueKafkaPrefix } from '@panoptes/testing';
import { DeliveryInfo } from './bus';
import { DLQ_HEADERS, KafkaBus } from './kafka.bus';
import { partitionForKey } from './kafka.codec';
import { KafkaBusConfig } from './kafka.config';

// Against the real broker that Jest's global set-up started (test/kafka/broker.sh).
jest.setTimeout(90_000);

interface Rec {
  uid: string;
  seq: number;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function busConfig(prefix: string, extra: Partial<KafkaBusConfig> = {}): KafkaBusConfig {
  return plainToInstance(
    KafkaBusConfig,
    {
      type: 'kafka',
      brokers: testKafkaBrokers(),
      topicPrefix: prefix,
      groupPrefix: prefix,
      statsIntervalMs: 200,
      ...extra,
    },
    { exposeDefaultValues: true },
  );
}

const flows = (n: number, perFlow = 4): Rec[] =>
  Array.from({ length: n }, (_, i) => ({ uid: `flow-${Math.floor(i / perFlow)}`, seq: i % perFlow }));

async function until<T>(what: string, probe: () => T | undefined | false, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('KafkaBus (real broker)', () => {
  const buses: KafkaBus[] = [];
  const newBus = async (prefix: string, extra: Partial<KafkaBusConfig> = {}) => {
    const bus = new KafkaBus(busConfig(prefix, extra), quiet);
    await bus.start();
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    for (const b of buses.splice(0)) await b.stop();
  });

  it('creates topics with the configured partitions and keeps every record of a flow in one partition', async () => {
    const prefix = uniqueKafkaPrefix('bus');
    const bus = await newBus(prefix, { partitions: 4, recordsPerMessage: 50 });
    const got: { r: Rec; info: DeliveryInfo }[] = [];
    await bus.subscribe<Rec>('flows.raw', { group: 'sink' }, async (records, info) => {
      for (const r of records) got.push({ r, info });
    });
    const sent = flows(4_000);
    for (let i = 0; i < sent.length; i += 500) await bus.publish('flows.raw', sent.slice(i, i + 500), (r) => r.uid);
    await bus.drain();

    expect(got).toHaveLength(4_000);
    expect(new Set(got.map((g) => `${g.r.uid}/${g.r.seq}`)).size).toBe(4_000);
    for (const { r, info } of got) {
      expect(info.topic).toBe('flows.raw');
      expect(info.partition).toBe(partitionForKey(r.uid, 4));
    }
    // Within a flow, records arrive in the order they were published.
    const seqs = new Map<string, number[]>();
    for (const { r } of got) seqs.set(r.uid, [...(seqs.get(r.uid) ?? []), r.seq]);
    for (const s of seqs.values()) expect(s).toEqual([0, 1, 2, 3]);
    expect(new Set(got.map((g) => g.info.partition)).size).toBe(4);

    const admin = bus.kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [`${prefix}flows.raw`] });
    await admin.disconnect();
    expect(meta.topics[0].partitions).toHaveLength(4);
    expect(bus.stats()).toEqual([{ topic: 'flows.raw', group: 'sink', depth: 0, delivered: 4_000 }]);
  });

  it('hands a partition its records in order, one handler call at a time', async () => {
    const prefix = uniqueKafkaPrefix('bus');
    const bus = await newBus(prefix, { partitions: 1, recordsPerMessage: 10, handlerBatchRecords: 25 });
    const got: Rec[] = [];
    let running = 0;
    let overlapped = false;
    await bus.subscribe<Rec>('t', { group: 'g' }, async (records) => {
      overlapped ||= running > 0;
      running++;
      // The next chunk must not be handed over before this call resolves.
      await new Promise((r) => setTimeout(r, 5));
      got.push(...records);
      running--;
    });
    const sent = flows(1_000, 1_000);
    await bus.publish('t', sent, (r) => r.uid);
    await bus.drain();
    expect(got).toEqual(sent);
    expect(overlapped).toBe(false);
    expect(bus.stats()).toEqual([{ topic: 't', group: 'g', depth: 0, delivered: 1_000 }]);
  });

  it('gives every group every record and splits a group between its members', async () => {
    const prefix = uniqueKafkaPrefix('bus');
    const a = await newBus(prefix, { partitions: 6 });
    const b = await newBus(prefix, { partitions: 6 });
    const byMember = { a: [] as Rec[], b: [] as Rec[], other: [] as Rec[] };
    await a.subscribe<Rec>('t', { group: 'work' }, async (r) => void byMember.a.push(...r));
    await b.subscribe<Rec>('t', { group: 'work' }, async (r) => void byMember.b.push(...r));
    await b.subscribe<Rec>('t', { group: 'audit' }, async (r) => void byMember.other.push(...r));
    // Both members must own partitions before the records go out, or one takes them all.
    const admin = a.kafka.admin();
    await admin.connect();
    for (let i = 0; i < 100; i++) {
      const d = await admin.describeGroups([`${prefix}work`]);
      if (d.groups[0].state === 'Stable' && d.groups[0].members.length === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.disconnect();

    const sent = flows(3_000, 3);
    await a.publish('t', sent, (r) => r.uid);
    await until(
      'all records in both groups',
      () => byMember.a.length + byMember.b.length === 3_000 && byMember.other.length === 3_000,
    );
    await a.drain();
    await b.drain();

    expect(byMember.a.length).toBeGreaterThan(0);
    expect(byMember.b.length).toBeGreaterThan(0);
    const key = (r: Rec) => `${r.uid}/${r.seq}`;
    expect(new Set([...byMember.a, ...byMember.b].map(key)).size).toBe(3_000);
    // A flow is handled by one member only.
    const aFlows = new Set(byMember.a.map((r) => r.uid));
    expect(byMember.b.filter((r) => aFlows.has(r.uid))).toEqual([]);
    expect(new Set(byMember.other.map(key)).size).toBe(3_000);
  });

  it('commits offsets only after the handler resolved: lag stays until then', async () => {
    const prefix = uniqueKafkaPrefix('bus');
    // One record per message makes lag in records exact.
    const bus = await newBus(prefix, { partitions: 2, recordsPerMessage: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    await bus.subscribe<Rec>('t', { group: 'slow' }, async () => {
      calls++;
      await gate;
    });
    try {
      await bus.publish('t', flows(1_000), (r) => r.uid);
      await until('the handler to hold a batch', () => calls > 0);
      const held = await until('lag to show', () => bus.stats().find((s) => s.depth === 1_000));
      expect(held).toMatchObject({ topic: 't', group: 'slow', depth: 1_000, delivered: 0 });
    } finally {
      release();
    }
    await bus.drain();
    expect(bus.stats()[0]).toMatchObject({ depth: 0, delivered: 1_000 });
  });

  it('counts lag in records when messages pack many records', async () => {
    const prefix = uniqueKafkaPrefix('bus');
    const bus = await newBus(prefix, { partitions: 1, recordsPerMessage: 100 });
    await bus.publish('t', flows(1_000), (r) => r.uid);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await bus.subscribe<Rec>('t', { group: 'slow' }, () => gate);
    try {
      // Ten messages of 100 records each, none committed.
      const held = await until('lag to show', () => bus.stats().find((s) => s.depth > 0));
      expect(held.depth).toBe(1_000);
    } finally {
      release();
    }
    await bus.drain();
    expect(bus.stats()[0]).toMatchObject({ depth: 0, delivered: 1_000 });
  });

  it.each([false, true])('dead-letters an undecodable message with its reason and goes on (text: %s)', async (text) => {
    const prefix = uniqueKafkaPrefix('bus');
    const bus = await newBus(prefix, { partitions: 1 });
    const got: Rec[] = [];
    const types: string[] = [];
    await bus.subscribe<Rec | string>('flows.raw', { group: 'sink', text }, async (r) => {
      // A text subscription gets each (canonical) record as its line, checked but not parsed.
      types.push(...r.map((x) => typeof x));
      for (const x of r) got.push(typeof x === 'string' ? (JSON.parse(x) as Rec) : x);
    });
    const letters: { value: string; headers: Record<string, string> }[] = [];

    const kafka = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING });
    const raw = kafka.producer();
    await raw.connect();
    await bus.publish('flows.raw', [{ uid: 'a', seq: 0 }], (r) => r.uid);
    await raw.send({ topic: `${prefix}flows.raw`, messages: [{ value: '{"uid":"b","seq":0' }, { value: null }] });
    await bus.publish('flows.raw', [{ uid: 'c', seq: 0 }], (r) => r.uid);
    await raw.disconnect();
    await bus.drain();

    expect(got).toEqual([
      { uid: 'a', seq: 0 },
      { uid: 'c', seq: 0 },
    ]);
    expect(types).toEqual(text ? ['string', 'string'] : ['object', 'object']);
    expect(bus.deadLetterCounts().get('flows.raw.dlq')).toBe(2);
    expect(bus.undecodableCount()).toBe(2);

    const reader = kafka.consumer({ groupId: `${prefix}check` });
    await reader.connect();
    await reader.subscribe({ topic: `${prefix}flows.raw.dlq`, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        letters.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    await until('two dead letters', () => letters.length === 2);
    await reader.disconnect();
    expect(letters.map((l) => l.value)).toEqual(['{"uid":"b","seq":0', '']);
    expect(letters[0].headers[DLQ_HEADERS.reason]).toMatch(/^undecodable message: line 1: invalid JSON: /);
    expect(letters[1].headers[DLQ_HEADERS.reason]).toBe('undecodable message: empty message');
    expect(letters[0].headers).toMatchObject({
      [DLQ_HEADERS.topic]: 'flows.raw',
      [DLQ_HEADERS.partition]: '0',
      [DLQ_HEADERS.offset]: '1',
      [DLQ_HEADERS.group]: 'sink',
    });
  });

  it('dead-letters the records a handler failed on, with the reason, and commits past them', async () => {
    const prefix = uniqueKafkaPrefix('bus');
    const bus = await newBus(prefix, { partitions: 1, compression: 'none' });
    const seen: Rec[][] = [];
    await bus.subscribe<Rec>('t', { group: 'picky' }, async (r) => {
      seen.push(r);
      if (r.some((x) => x.uid === 'bad')) throw new Error('cannot handle bad');
    });
    await bus.publish('t', [{ uid: 'bad', seq: 0 }]);
    await bus.drain();
    await bus.publish('t', [{ uid: 'good', seq: 0 }]);
    await bus.drain();
    expect(seen).toEqual([[{ uid: 'bad', seq: 0 }], [{ uid: 'good', seq: 0 }]]);
    expect(bus.deadLetterCounts().get('t.dlq')).toBe(1);
    expect(bus.stats()[0]).toMatchObject({ depth: 0, delivered: 2 });
  });

  it('dead-letters a text batch a handler failed on as the lines it came in', async () => {
    const prefix = uniqueKafkaPrefix('bus');
    const bus = await newBus(prefix, { partitions: 1 });
    await bus.subscribe<string>('t', { group: 'picky', text: {} }, async () => {
      throw new Error('disk full');
    });
    await bus.publish('t', [
      { uid: 'a', seq: 0 },
      { uid: 'b', seq: 1 },
    ]);
    await bus.drain();
    const kafka = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING });
    const reader = kafka.consumer({ groupId: `${prefix}check` });
    const letters: string[] = [];
    await reader.connect();
    await reader.subscribe({ topic: `${prefix}t.dlq`, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void letters.push(message.value?.toString() ?? '') });
    await until('the dead letter', () => letters.length === 1);
    await reader.disconnect();
    expect(letters).toEqual(['{"uid":"a","seq":0}\n{"uid":"b","seq":1}']);
  });

  it('reads batches compressed with every codec, whoever produced them', async () => {
    const prefix = uniqueKafkaPrefix('bus');
    const consumer = await newBus(prefix, { partitions: 1 });
    const got: Rec[] = [];
    await consumer.subscribe<Rec>('mixed', { group: 'sink' }, async (r) => void got.push(...r));
    for (const [i, compression] of (['lz4', 'gzip', 'none'] as const).entries()) {
      const producer = await newBus(prefix, { partitions: 1, compression });
      const batch = flows(300).map((r) => ({ ...r, uid: `${compression}-${r.uid}`, note: 'x'.repeat(50 + i) }));
      await producer.publish('mixed', batch, (r) => r.uid);
    }
    await until('every record', () => got.length === 900);
    expect(new Set(got.map((r) => r.uid.split('-')[0]))).toEqual(new Set(['lz4', 'gzip', 'none']));
    expect(new Set(got.map((r) => `${r.uid}/${r.seq}`)).size).toBe(900);
  });
});
