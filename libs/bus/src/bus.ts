import { TextInput } from '@panoptes/plugin-sdk';
/**
 * The topic transport between plugins. A topic carries batches of records;
 * publish() resolves once the batch is accepted (queued in-process, or
 * acknowledged by Kafka), which is what lets a consumer acknowledge its own
 * input only after its output is safe (at-least-once end to end).
 */

/** Where a delivered batch came from; `ack` semantics are the handler's resolution. */
export interface DeliveryInfo {
  readonly topic: string;
  /** Kafka partition, or 0 on the embedded bus. */
  readonly partition: number;
}

/**
 * Called once per delivered batch. The bus treats the batch as processed when
 * the returned promise resolves; a rejection is counted as an error and the
 * batch is dead-lettered with the reason (never retried forever, never lost).
 */
export type BatchHandler<T = unknown> = (records: T[], info: DeliveryInfo) => Promise<void>;

export interface SubscribeOptions {
  /**
   * Consumers in the same group split a topic's batches (or Kafka partitions);
   * each group gets every batch.
   */
  readonly group: string;
  /** Subscriber id used in metrics and logs. */
  readonly id?: string;
  /**
   * The handler takes text records (see isTextRecord in the plugin SDK): a
   * bus that receives records as text (Kafka) hands it each record checked
   * to be a canonical flat JSON object as that string, unparsed (but see
   * TextInput.parseIfKeys). A bus holding records as objects ignores this.
   */
  readonly text?: TextInput;
}

export interface Subscription {
  /** Stop receiving; resolves after the batch in hand (if any) has been handled. */
  close(): Promise<void>;
}

export interface TopicStats {
  readonly topic: string;
  readonly group: string;
  /** Batches waiting (embedded) or consumer lag in records (Kafka). */
  readonly depth: number;
  /** Upper bound on depth for a bounded queue; undefined when not bounded. */
  readonly capacity?: number;
  readonly delivered: number;
}

/** A record that could not be decoded or handled, with the reason. */
export interface DeadLetter {
  readonly topic: string;
  readonly reason: string;
  readonly payload: unknown;
}

export interface Bus {
  readonly type: 'embedded' | 'kafka';
  start(): Promise<void>;
  /** Publishes a batch. `key` picks each record's partition (flow uid on flow topics). */
  publish<T>(topic: string, records: T[], key?: (record: T) => string): Promise<void>;
  subscribe<T>(topic: string, options: SubscribeOptions, handler: BatchHandler<T>): Promise<Subscription>;
  /** Records that could not be processed go here with their reason; counted, never silent. */
  deadLetter(letter: DeadLetter): Promise<void>;
  /** Waits until every batch published so far has been handled by every group. */
  drain(): Promise<void>;
  stats(): TopicStats[];
  stop(): Promise<void>;
}

/** The name of the dead-letter topic for a topic. */
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;
