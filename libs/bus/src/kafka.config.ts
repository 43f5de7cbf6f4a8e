import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';

/** Compression codecs: kafkajs ships gzip; lz4 is native (@panoptes/capture). */
export const KAFKA_COMPRESSIONS = ['none', 'gzip', 'lz4'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

export const KAFKA_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;

/** `bus: {type: kafka, ...}`: every option of the Kafka transport, with its default. */
export class KafkaBusConfig {
  /** The Kafka transport: plugins in several processes share topics and consumer groups. */
  @IsIn(['kafka'])
  type = 'kafka' as const;

  /** Bootstrap brokers as host:port. */
  @IsArray()
  @ArrayNotEmpty()
  @Matches(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { each: true, message: 'each broker must be host:port' })
  brokers: string[] = [];

  /** Client id the brokers see in their logs and quotas. */
  @IsOptional()
  @IsString()
  clientId = 'panoptes';

  /** Prepended to every topic name, so deployments (or tests) can share one cluster. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]*$/, { message: 'topicPrefix may hold letters, digits, ".", "_" and "-" only' })
  topicPrefix = '';

  /** Prepended to every consumer group id (a group is a plugin instance id). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]*$/, { message: 'groupPrefix may hold letters, digits, ".", "_" and "-" only' })
  groupPrefix = 'panoptes.';

  /** Partitions of each topic the bus creates: the most replicas of one role that share work. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  partitions = 6;

  /** Replicas of each topic the bus creates (at most the number of brokers). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(16)
  replicationFactor = 1;

  /**
   * Compression of produced record batches. lz4 costs a third of gzip's CPU
   * (level 1) for somewhat bigger batches; every Kafka client reads both.
   */
  @IsOptional()
  @IsIn(KAFKA_COMPRESSIONS)
  compression: KafkaCompression = 'lz4';

  /** gzip level, 1 (fastest) to 9 (smallest); applies to every Kafka client of the process. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(9)
  compressionLevel = 1;

  /** Records packed into one Kafka message (newline-separated JSON); 1 puts each record in its own keyed message. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  recordsPerMessage = 1000;

  /** Largest Kafka message the bus produces; must stay under the broker's message.max.bytes. */
  @IsOptional()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  maxMessageBytes = 900_000;

  /** Idempotent producer: a retried send is written once. */
  @IsOptional()
  @IsBoolean()
  idempotent = true;

  /** Most records handed to a plugin in one call; offsets are committed after each call resolves. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  handlerBatchRecords = 5_000;

  /**
   * Partitions one consumer works on at the same time: one decodes while
   * another waits for the broker. Records of one partition stay in order;
   * a plugin that does not declare concurrentHandle still gets one batch at
   * a time.
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(64)
  partitionsConsumedConcurrently = 3;

  /** Most bytes one fetch returns per partition. */
  @IsOptional()
  @IsInt()
  @Min(1024)
  maxBytesPerPartition = 1_048_576;

  /** Longest a fetch waits for new records; also how long a consumer takes to notice it is being stopped. */
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(30_000)
  maxWaitTimeMs = 500;

  /** A consumer not heard from for this long leaves its group and its partitions move to the others. */
  @IsOptional()
  @IsInt()
  @Min(6_000)
  @Max(300_000)
  sessionTimeoutMs = 10_000;

  /** Interval between consumer heartbeats (about a third of sessionTimeoutMs). */
  @IsOptional()
  @IsInt()
  @Min(100)
  heartbeatIntervalMs = 3_000;

  /** How often consumer lag (stats depth) is read from the brokers. */
  @IsOptional()
  @IsInt()
  @Min(100)
  statsIntervalMs = 1_000;

  /** Longest pause between attempts to publish while the brokers are unreachable (publish waits; nothing is dropped). */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60_000)
  maxRetryDelayMs = 2_000;

  /** Time to establish a connection to a broker. */
  @IsOptional()
  @IsInt()
  @Min(100)
  connectionTimeoutMs = 3_000;

  /** Verbosity of the Kafka client's own log lines (on stderr). */
  @IsOptional()
  @IsIn(KAFKA_LOG_LEVELS)
  logLevel: (typeof KAFKA_LOG_LEVELS)[number] = 'error';
}
