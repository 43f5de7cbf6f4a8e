import { promisify } from 'node:util';
import { gzip as zlibGzip, InputType, unzip as zlibUnzip, ZlibOptions } from 'node:zlib';
import {
  Admin,
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  LogEntry,
  Partitioners,
  Producer,
} from 'kafkajs';
import { lz4Compress, lz4Decompress, nativeLoadError } from '@panoptes/capture';
import { jsonTextsOf } from '@panoptes/plugin-sdk';
import { BatchHandler, Bus, DeadLetter, deadLetterTopic, SubscribeOptions, Subscription, TopicStats } from './bus';
import { BusLogger, stderrBusLogger } from './bus.logger';
import { useNativeKafkajsHelpers } from './kafkajs.native';
import { KafkaBusConfig } from './kafka.config';
import { EncodedMessage, encodeRecords } from './kafka.codec';
import { KafkaSubscription, SubscriptionHost } from './kafka.consumer';
import { isRetriable, needsNewProducer, sleep } from './kafka.errors';
import { LagReader } from './kafka.lag';

/** Headers a dead-lettered message carries. */
export const DLQ_HEADERS = {
  reason: 'panoptes-dlq-reason',
  topic: 'panoptes-dlq-topic',
  partition: 'panoptes-dlq-partition',
  offset: 'panoptes-dlq-offset',
  group: 'panoptes-dlq-group',
} as const;

const KAFKA_LEVELS = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/**
 * The bus over Apache Kafka (kafkajs). Topics are created on first use with the
 * configured partitions and replication; records are partitioned by key (the
 * flow uid) and packed into compressed messages; the producer is idempotent and
 * waits for all in-sync replicas. A consumer group per plugin instance lets N
 * processes running the same role split the partitions. While the brokers are
 * unreachable publish() waits and retries, so an outage is back-pressure and
 * lag, not loss.
 */
export class KafkaBus implements Bus, SubscriptionHost {
  readonly type = 'kafka' as const;
  readonly kafka: Kafka;
  private producer?: Producer;
  private admin?: Admin;
  private readonly topics = new Map<string, Promise<number>>();
  private readonly subs = new Set<KafkaSubscription>();
  private readonly letterCounts = new Map<string, number>();
  /** Messages and records this process produced, by Kafka topic (for lag in records). */
  private readonly produced = new Map<string, { messages: number; records: number }>();
  private lag?: LagReader;
  private inflight = 0;
  /** Partitions of each topic ensureTopic has found, for publish to read without waiting. */
  private readonly partitionCounts = new Map<string, number>();
  private rr = 0;
  private stopping = false;
  private outage = false;
  /** Dead letters that could not be written (a non-retriable Kafka error); logged, counted. */
  deadLetterFailures = 0;

  constructor(
    readonly config: KafkaBusConfig,
    readonly log: BusLogger = stderrBusLogger('bus'),
  ) {
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      connectionTimeout: config.connectionTimeoutMs,
      logLevel: KAFKA_LEVELS[config.logLevel],
      // The client's errors are mostly retried connection failures: warn, and let the bus say what failed for good.
      logCreator: () => (entry: LogEntry) => {
        const { message, ...ctx } = entry.log;
        // The bus re-sends a batch whose retries ran out with the same producer id and sequence: no duplicate.
        if (String(message).startsWith('Limiting retries for the idempotent producer')) return;
        const level =
          entry.level <= KafkaLogLevel.WARN ? 'warn' : entry.level === KafkaLogLevel.INFO ? 'info' : 'debug';
        this.log[level](`kafka client: ${String(message).toLowerCase()}`, {
          ns: entry.namespace,
          broker: ctx.broker,
          error: ctx.error,
        });
      },
    });
  }

  async start(): Promise<void> {
    this.stopping = false;
    useGzipLevel(this.config.compressionLevel);
    registerLz4Codec(this.config.compression === 'lz4');
    useNativeKafkajsHelpers();
    this.admin = this.kafka.admin();
    await this.admin.connect().catch((err) => {
      throw new Error(`cannot connect to kafka at ${this.config.brokers.join(',')}: ${(err as Error).message}`);
    });
    await this.connectProducer();
    this.lag = new LagReader(
      this.admin,
      this.config.statsIntervalMs,
      () => [...this.subs],
      this.log,
      (sub) => this.recordsPerMessage(sub),
    );
    this.lag.start();
  }

  private async connectProducer(): Promise<void> {
    const producer = this.kafka.producer({
      idempotent: this.config.idempotent,
      maxInFlightRequests: this.config.idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 200, maxRetryTime: this.config.maxRetryDelayMs, retries: 5 },
    });
    await producer.connect();
    this.producer = producer;
  }

  private recordsPerMessage(sub: KafkaSubscription): number {
    const seen = [...this.subs].filter((s) => s.kafkaTopic === sub.kafkaTopic && s.messagesSeen > 0);
    if (seen.length) return seen.reduce((n, s) => n + s.recordsSeen, 0) / seen.reduce((n, s) => n + s.messagesSeen, 0);
    const p = this.produced.get(sub.kafkaTopic);
    return p && p.messages > 0 ? p.records / p.messages : this.config.recordsPerMessage;
  }

  /** The topic's name in Kafka. */
  kafkaTopic(topic: string): string {
    return this.config.topicPrefix + topic;
  }

  /**
   * Once the topic is known the records are encoded at once, and only their
   * messages are held while the broker acknowledges: a batch of records
   * held through that wait was copied by every young-generation collection
   * that fell into it.
   */
  publish<T>(topic: string, records: T[], key?: (record: T) => string): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const name = this.kafkaTopic(topic);
    const partitions = this.partitionCounts.get(name);
    if (partitions === undefined) return this.publishToNewTopic(topic, name, records, key);
    const encoded = encodeRecords(records, key, { ...this.config, partitions }, this.rr++);
    return this.sendEncoded(topic, name, encoded, records.length);
  }

  /** Creates (or finds) the topic first, then publishes as to a known one. */
  private async publishToNewTopic<T>(
    topic: string,
    name: string,
    records: T[],
    key?: (record: T) => string,
  ): Promise<void> {
    this.inflight++;
    try {
      await this.retrying(`create topic ${name}`, () => this.ensureTopic(name));
    } finally {
      this.inflight--;
    }
    return this.publish(topic, records, key);
  }

  private async sendEncoded(
    topic: string,
    name: string,
    { messages, oversize }: ReturnType<typeof encodeRecords>,
    count: number,
  ): Promise<void> {
    this.inflight++;
    try {
      for (const o of oversize) {
        const reason = `record of ${o.bytes} bytes exceeds maxMessageBytes ${this.config.maxMessageBytes}`;
        await this.deadLetterRecords(topic, reason, [o.record], {});
      }
      await this.send(name, messages);
      const p = this.produced.get(name) ?? { messages: 0, records: 0 };
      p.messages += messages.length;
      p.records += count - oversize.length;
      this.produced.set(name, p);
    } finally {
      this.inflight--;
    }
  }

  /** Sends, retrying while the brokers are unreachable; resolves once acknowledged by all in-sync replicas. */
  private async send(topic: string, messages: EncodedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const compression = COMPRESSION_TYPES[this.config.compression];
    await this.retrying(`publish to ${topic}`, () => {
      if (!this.producer) throw new Error('kafka bus not started');
      return this.producer.send({ topic, messages, acks: -1, compression });
    });
  }

  private async retrying<R>(what: string, attempt: () => Promise<R>): Promise<R> {
    let delay = 200;
    for (;;) {
      try {
        const r = await attempt();
        if (this.outage) {
          this.outage = false;
          this.log.info('kafka reachable again', { brokers: this.config.brokers.join(',') });
        }
        return r;
      } catch (err) {
        if (this.stopping) throw new Error(`cannot ${what}: the bus is stopping: ${(err as Error).message}`);
        if (needsNewProducer(err)) {
          this.log.warn('kafka producer state lost, starting a new producer', { error: (err as Error).message });
          await this.producer?.disconnect().catch(() => undefined);
          await this.connectProducer().catch(() => undefined);
        } else if (!isRetriable(err)) {
          throw new Error(`cannot ${what}: ${(err as Error).message}`);
        }
        if (!this.outage) {
          this.outage = true;
          this.log.warn('kafka unreachable, publish waits and retries', { what, error: (err as Error).message });
        }
        await sleep(delay);
        delay = Math.min(delay * 2, this.config.maxRetryDelayMs);
      }
    }
  }

  /** Creates the topic if missing (once per process) and resolves to its partition count. */
  private ensureTopic(name: string): Promise<number> {
    let p = this.topics.get(name);
    if (!p) {
      p = (async () => {
        const admin = this.admin;
        if (!admin) throw new Error('kafka bus not started');
        const topic = {
          topic: name,
          numPartitions: this.config.partitions,
          replicationFactor: this.config.replicationFactor,
        };
        try {
          await admin.createTopics({ topics: [topic], waitForLeaders: true });
        } catch (err) {
          if (!/already exists/i.test((err as Error).message)) throw err;
        }
        const meta = await admin.fetchTopicMetadata({ topics: [name] });
        const partitions = meta.topics[0].partitions.length;
        this.partitionCounts.set(name, partitions);
        return partitions;
      })();
      p.catch(() => this.topics.delete(name));
      this.topics.set(name, p);
    }
    return p;
  }

  async subscribe<T>(topic: string, options: SubscribeOptions, handler: BatchHandler<T>): Promise<Subscription> {
    const name = this.kafkaTopic(topic);
    // Another process may be creating the same topic right now: its leaders appear a moment later.
    await this.retrying(`create topic ${name}`, () => this.ensureTopic(name));
    const sub = new KafkaSubscription(
      this,
      topic,
      name,
      options.group,
      this.config.groupPrefix + options.group,
      handler as BatchHandler<unknown>,
      options.text,
    );
    await this.retrying(`subscribe to ${name}`, async () => {
      try {
        await sub.start();
      } catch (err) {
        await sub.close().catch(() => undefined);
        sub.reopen();
        throw err;
      }
    });
    this.subs.add(sub);
    return {
      close: async () => {
        this.subs.delete(sub);
        await sub.close();
      },
    };
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    const payload = Array.isArray(letter.payload) ? letter.payload : [letter.payload];
    await this.deadLetterRecords(letter.topic, letter.reason, payload, {});
  }

  async deadLetterRecords(
    topic: string,
    reason: string,
    records: unknown[],
    origin: Record<string, string>,
  ): Promise<void> {
    // Each record as its text (see jsonTextsOf), cut to 64 KiB: text records are sent as they are.
    const letters = jsonTextsOf(records).map(truncatedText);
    await this.writeLetter(topic, reason, origin, (partitions) => {
      const { messages } = encodeRecords(letters, undefined, { ...this.config, partitions }, this.rr++);
      return messages;
    });
  }

  async deadLetterRaw(topic: string, reason: string, raw: string, origin: Record<string, string>): Promise<void> {
    await this.writeLetter(topic, reason, origin, (partitions) => [
      { partition: this.rr++ % partitions, value: raw.slice(0, this.config.maxMessageBytes / 4), headers: {} },
    ]);
  }

  private async writeLetter(
    topic: string,
    reason: string,
    origin: Record<string, string>,
    encode: (partitions: number) => EncodedMessage[],
  ): Promise<void> {
    const dlq = deadLetterTopic(topic);
    const name = this.kafkaTopic(dlq);
    this.letterCounts.set(dlq, (this.letterCounts.get(dlq) ?? 0) + 1);
    const headers: Record<string, string> = { [DLQ_HEADERS.reason]: reason.slice(0, 2000), [DLQ_HEADERS.topic]: topic };
    for (const [k, v] of Object.entries(origin)) headers[`panoptes-dlq-${k}`] = v;
    try {
      const partitions = await this.retrying(`create topic ${name}`, () => this.ensureTopic(name));
      const messages = encode(partitions).map((m) => ({ ...m, key: undefined, headers: { ...m.headers, ...headers } }));
      await this.send(name, messages);
    } catch (err) {
      // The letter is lost only on a non-retriable error or at shutdown; say so loudly and count it.
      this.deadLetterFailures++;
      this.log.error('cannot write dead letter', { topic: dlq, reason, error: (err as Error).message });
      if (this.stopping) throw err;
    }
  }

  /** Dead letters written, by dead-letter topic (logical name). */
  deadLetterCounts(): ReadonlyMap<string, number> {
    return this.letterCounts;
  }

  /** Message parts that could not be decoded, over every subscription of this process. */
  undecodableCount(): number {
    return [...this.subs].reduce((s, x) => s + x.undecodable, 0);
  }

  /**
   * Waits until every record published to a topic this process consumes has
   * been handled and committed by its groups here (other processes' groups are
   * theirs to drain), and no publish of this process is in flight.
   */
  async drain(): Promise<void> {
    let quiet = 0;
    while (quiet < 2) {
      const idle = this.inflight === 0 && [...this.subs].every((s) => !s.busy);
      let lag = Infinity;
      try {
        lag = idle ? (await this.lag!.refresh()).reduce((s, x) => s + x.depth, 0) : Infinity;
      } catch {
        lag = Infinity;
      }
      quiet = idle && lag === 0 ? quiet + 1 : 0;
      await sleep(quiet > 0 ? 50 : 100);
    }
  }

  stats(): TopicStats[] {
    return this.lag?.stats() ?? [];
  }

  async stop(): Promise<void> {
    this.lag?.stop();
    for (const sub of [...this.subs]) {
      this.subs.delete(sub);
      await sub.close();
    }
    this.stopping = true;
    await this.producer?.disconnect();
    await this.admin?.disconnect();
    this.producer = undefined;
    this.admin = undefined;
    this.topics.clear();
  }
}

/**
 * kafkajs compresses gzip at zlib's default level, which costs more CPU than the
 * rest of the bus put together; level 1 is several times faster for a few
 * percent more bytes. The codec table is the client's, so this is per process.
 */
function useGzipLevel(level: number): void {
  const gzip = promisify<InputType, ZlibOptions, Buffer>(zlibGzip);
  const unzip = promisify<InputType, Buffer>(zlibUnzip);
  CompressionCodecs[CompressionTypes.GZIP] = () => ({
    compress: (encoder: { buffer: Buffer }) => gzip(encoder.buffer, { level }),
    decompress: (buffer: Buffer) => unzip(buffer),
  });
}

/**
 * kafkajs leaves LZ4 to a codec package; the native module has one. The bus
 * registers it whenever the module loads, so batches other producers
 * compressed with LZ4 can be read; `required` (the bus produces LZ4) makes a
 * missing module an error. Any other kafkajs client in a process reading the
 * bus's topics (a test, a tool) calls this too; other Kafka clients read LZ4
 * by themselves.
 */
export function registerLz4Codec(required = false): void {
  const why = nativeLoadError();
  if (why !== undefined) {
    if (required) throw new Error(`compression lz4 needs the native module: ${why}`);
    return;
  }
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => lz4Compress(encoder.buffer),
    decompress: async (buffer: Buffer) => lz4Decompress(buffer),
  });
}

const COMPRESSION_TYPES = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
} as const;

/** A record's text too big to dead-letter whole keeps its first 64 KiB, in a record saying so. */
function truncatedText(s: string): string {
  if (s.length <= 65_536) return s;
  return JSON.stringify({ truncated: true, bytes: Buffer.byteLength(s), head: s.slice(0, 65_536) });
}
