import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { TextInput, withJsonBytes } from '@panoptes/plugin-sdk';
import { BatchHandler } from './bus';
import { BusLogger } from './bus.logger';
import { KafkaBusConfig } from './kafka.config';
import { decodeMessage } from './kafka.codec';

/** What a subscription needs from its bus. */
export interface SubscriptionHost {
  readonly kafka: Kafka;
  readonly config: KafkaBusConfig;
  readonly log: BusLogger;
  /** Dead-letters an undecodable message part (raw text) with its reason and origin. */
  deadLetterRaw(topic: string, reason: string, raw: string, origin: Record<string, string>): Promise<void>;
  /** Dead-letters records a handler failed on. */
  deadLetterRecords(topic: string, reason: string, records: unknown[], origin: Record<string, string>): Promise<void>;
}

/**
 * One consumer-group member on one topic. A batch's offsets are committed only
 * after the handler resolved (for a plugin: after what it published downstream
 * was acknowledged), so a crash between the two redelivers rather than loses.
 */
export class KafkaSubscription {
  delivered = 0;
  /** Messages and the records they held, to turn lag in messages into lag in records. */
  messagesSeen = 0;
  recordsSeen = 0;
  undecodable = 0;
  handlerFailures = 0;
  private consumer?: Consumer;
  private busyCount = 0;
  private closing = false;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    private readonly host: SubscriptionHost,
    /** The logical topic (as plugins name it). */
    readonly topic: string,
    /** The topic's name in Kafka (with the configured prefix). */
    readonly kafkaTopic: string,
    readonly group: string,
    readonly groupId: string,
    private readonly handler: BatchHandler<unknown>,
    /** The handler takes text records: canonical lines are checked, not parsed. */
    private readonly text?: TextInput,
  ) {}

  /** A handler call is in progress. */
  get busy(): boolean {
    return this.busyCount > 0;
  }

  async start(): Promise<void> {
    const c = this.host.config;
    const consumer = this.host.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: c.sessionTimeoutMs,
      heartbeatInterval: c.heartbeatIntervalMs,
      maxBytesPerPartition: c.maxBytesPerPartition,
      maxWaitTimeInMs: c.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      // No restart of a consumer that crashed while it was being closed: it would outlive close().
      retry: {
        initialRetryTime: 300,
        maxRetryTime: c.maxRetryDelayMs,
        retries: 8,
        restartOnFailure: async () => !this.closing,
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts by itself after a retriable failure; anything else would leave the
      // subscription dead, so start it over: a role must outlive a broker outage unattended.
      if (payload.restart || this.closing) return;
      this.host.log.error('kafka consumer crashed, restarting', {
        topic: this.topic,
        group: this.group,
        error: payload.error.message,
      });
      this.restartTimer = setTimeout(() => void this.restart(), c.maxRetryDelayMs);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.kafkaTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: c.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async restart(): Promise<void> {
    if (this.closing) return;
    try {
      await this.consumer?.disconnect().catch(() => undefined);
      await this.start();
      this.host.log.info('kafka consumer restarted', { topic: this.topic, group: this.group });
    } catch (err) {
      this.host.log.warn('kafka consumer restart failed, will retry', {
        topic: this.topic,
        error: (err as Error).message,
      });
      this.restartTimer = setTimeout(() => void this.restart(), this.host.config.maxRetryDelayMs);
    }
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const limit = this.host.config.handlerBatchRecords;
    const origin = { partition: String(batch.partition), group: this.group };
    let chunk: Chunk = { records: [], bad: [], bytes: [] };
    let last: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const decoded = decodeMessage(message.value, this.text);
      this.messagesSeen++;
      this.recordsSeen += decoded.records.length + decoded.bad.length;
      for (const r of decoded.records) chunk.records.push(r);
      for (const b of decoded.bad) chunk.bad.push({ ...b, offset: message.offset });
      if (decoded.whole) chunk.bytes?.push(message.value!);
      else chunk.bytes = undefined;
      last = message.offset;
      if (chunk.records.length >= limit) {
        await this.handle(batch.partition, chunk, last, origin);
        resolveOffset(last);
        await heartbeat();
        chunk = { records: [], bad: [], bytes: [] };
        last = undefined;
      }
    }
    if (last !== undefined) {
      await this.handle(batch.partition, chunk, last, origin);
      resolveOffset(last);
      await heartbeat();
    }
  }

  /** Dead-letters the bad parts, runs the handler, then commits past `last`. Throws only Kafka errors (redelivery). */
  private async handle(partition: number, chunk: Chunk, last: string, origin: Record<string, string>): Promise<void> {
    this.busyCount++;
    try {
      for (const b of chunk.bad) {
        this.undecodable++;
        await this.host.deadLetterRaw(this.topic, `undecodable message: ${b.reason}`, b.raw, {
          ...origin,
          offset: b.offset,
        });
      }
      // Text records carry the very bytes they came in when every message held only them:
      // a sink writing JSON lines writes those.
      const records = chunk.bytes ? withJsonBytes(chunk.records, chunk.bytes) : chunk.records;
      if (records.length > 0) {
        try {
          await this.handler(records, { topic: this.topic, partition });
        } catch (err) {
          this.handlerFailures++;
          const reason = `handler failed: ${err instanceof Error ? err.message : String(err)}`;
          await this.host.deadLetterRecords(this.topic, reason, records, { ...origin, offset: last });
        }
        this.delivered += records.length;
      }
      await this.consumer!.commitOffsets([
        { topic: this.kafkaTopic, partition, offset: (BigInt(last) + 1n).toString() },
      ]);
    } finally {
      this.busyCount--;
    }
  }

  /** Allows start() again after a failed start was cleaned up with close(). */
  reopen(): void {
    this.closing = false;
  }

  /** Leaves the group after the batch in hand has been handled and committed. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    await this.consumer?.disconnect();
  }
}

/** Records decoded from consecutive messages of one partition, and the parts that failed. */
interface Chunk {
  records: unknown[];
  /** The message values, while every message held text records only. */
  bytes?: Buffer[];
  bad: { reason: string; raw: string; offset: string }[];
}
