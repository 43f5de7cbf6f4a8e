import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export const SINK_FORMATS = ['json', 'ecs', 'ocsf', 'cef'] as const;
export type SinkFormat = (typeof SINK_FORMATS)[number];

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** TLS to the SIEM's brokers. Files are read when the sink starts. */
export class KafkaSinkTlsConfig {
  /** Connect with TLS at all. */
  @IsOptional()
  @IsBoolean()
  enabled = true;

  /** PEM file of the CA(s) that signed the brokers' certificates; the system CAs when unset. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  caFile?: string;

  /** PEM client certificate, for brokers that authenticate clients by certificate. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  certFile?: string;

  /** PEM private key of certFile. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  keyFile?: string;

  /** Check the brokers' certificates; turn off only for a lab broker with a self-signed certificate. */
  @IsOptional()
  @IsBoolean()
  rejectUnauthorized = true;

  /** Host name expected in the brokers' certificates, when it differs from the bootstrap host. */
  @IsOptional()
  @IsString()
  servername?: string;
}

/** SASL authentication to the SIEM's brokers. */
export class KafkaSinkSaslConfig {
  /** SASL mechanism. */
  @IsIn(SASL_MECHANISMS)
  mechanism!: (typeof SASL_MECHANISMS)[number];

  /** User name. */
  @IsString()
  @IsNotEmpty()
  username!: string;

  /** Password, or env:NAME to read it from the environment when the sink starts (keeps it out of the file). */
  @IsString()
  @IsNotEmpty()
  password!: string;
}

export class KafkaSinkConfig {
  /** The SIEM's bootstrap brokers as host:port (not the bus's). */
  @IsArray()
  @ArrayNotEmpty()
  @Matches(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { each: true, message: 'each broker must be host:port' })
  brokers!: string[];

  /** Topic to publish to. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,249}$/, { message: 'topic may hold letters, digits, ".", "_" and "-" only (1 to 249)' })
  topic!: string;

  /** json: Panoptes flow records; ecs: Elastic Common Schema; ocsf: OCSF Network Activity (4001); cef: ArcSight CEF lines. */
  @IsOptional()
  @IsIn(SINK_FORMATS)
  format: SinkFormat = 'ecs';

  /** Client id the brokers see. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  clientId = 'panoptes-sink-kafka';

  @IsOptional()
  @ValidateNested()
  @Type(() => KafkaSinkTlsConfig)
  tls?: KafkaSinkTlsConfig;

  @IsOptional()
  @ValidateNested()
  @Type(() => KafkaSinkSaslConfig)
  sasl?: KafkaSinkSaslConfig;

  /** Idempotent producer: a send retried after a lost acknowledgement is written once. */
  @IsOptional()
  @IsBoolean()
  idempotent = true;

  /** Compression of produced batches (gzip needs no extra package). */
  @IsOptional()
  @IsIn(['none', 'gzip'])
  compression: 'none' | 'gzip' = 'gzip';

  /** Create the topic when it does not exist (most SIEM clusters pre-create theirs; leave off there). */
  @IsOptional()
  @IsBoolean()
  createTopic = false;

  /** Partitions of a topic this sink creates. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  topicPartitions = 3;

  /** Time to wait for a broker connection before failing. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(300_000)
  connectionTimeoutMs = 10_000;

  /** Time to wait for a produce acknowledgement before retrying. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(300_000)
  requestTimeoutMs = 30_000;

  /** Times a failed send is retried (with back-off) before the batch fails (and so stays unacknowledged). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  sendRetries = 5;

  /** Flows whose running totals are kept for OCSF cumulative_traffic (oldest forgotten first). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  maxTrackedFlows = 100_000;
}
