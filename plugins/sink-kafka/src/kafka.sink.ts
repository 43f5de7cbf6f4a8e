import { readFile } from 'node:fs/promises';
import { ConnectionOptions } from 'node:tls';
import { CompressionTypes, Kafka, logLevel, Message, Producer, SASLOptions } from 'kafkajs';
import {
  encodeFlowCef,
  encodeFlowEcs,
  encodeFlowJson,
  encodeFlowOcsf,
  FLOW_SCHEMA_VERSION,
  FlowRecord,
  flowRecordProblem,
} from '@panoptes/flow';
import { PluginContext, PluginError, SinkService } from '@panoptes/plugin-sdk';
import { FlowTotalsTracker } from './flow-totals';
import { KafkaSinkConfig } from './kafka-sink.config';

const CONTENT_TYPE = {
  json: 'application/json',
  ecs: 'application/json',
  ocsf: 'application/json',
  cef: 'text/plain',
} as const;

/**
 * Publishes flow records to a SIEM's Kafka topic as Panoptes JSON, ECS, OCSF
 * or CEF, one Kafka message per record keyed by the flow uid (so one flow's
 * records stay in order on one partition). handle() resolves only after every
 * broker in sync has the batch (acks=all, idempotent producer), so the input
 * is acknowledged only once the SIEM topic holds it: at-least-once. A record
 * that is not a flow record is dead-lettered with the reason.
 */
export class KafkaSink implements SinkService {
  private producer?: Producer;
  private readonly totals: FlowTotalsTracker;
  private sent = 0;

  constructor(
    private readonly config: KafkaSinkConfig,
    private readonly ctx: PluginContext,
  ) {
    this.totals = new FlowTotalsTracker(config.maxTrackedFlows);
  }

  async start(): Promise<void> {
    const c = this.config;
    const kafka = new Kafka({
      clientId: c.clientId,
      brokers: c.brokers,
      ssl: await this.tls(),
      sasl: this.sasl(),
      connectionTimeout: c.connectionTimeoutMs,
      requestTimeout: c.requestTimeoutMs,
      retry: { retries: c.sendRetries },
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        const ctx = { broker: entry.log.broker, error: entry.log.error };
        if (entry.level <= logLevel.ERROR) this.ctx.log.error(`kafka: ${entry.log.message}`, ctx);
        else this.ctx.log.warn(`kafka: ${entry.log.message}`, ctx);
      },
    });
    try {
      if (c.createTopic) {
        const admin = kafka.admin();
        await admin.connect();
        try {
          await admin.createTopics({
            topics: [{ topic: c.topic, numPartitions: c.topicPartitions }],
            waitForLeaders: true,
          });
        } finally {
          await admin.disconnect();
        }
      }
      const producer = kafka.producer({
        idempotent: c.idempotent,
        maxInFlightRequests: c.idempotent ? 1 : undefined,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      this.producer = producer;
    } catch (err) {
      throw new PluginError(`cannot connect to kafka ${c.brokers.join(',')}`, err);
    }
  }

  private async tls(): Promise<ConnectionOptions | undefined> {
    const t = this.config.tls;
    if (!t || !t.enabled) return undefined;
    const read = async (what: string, file?: string) => {
      if (!file) return undefined;
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        throw new PluginError(`cannot read tls.${what} ${file}`, err);
      }
    };
    return {
      ca: await read('caFile', t.caFile),
      cert: await read('certFile', t.certFile),
      key: await read('keyFile', t.keyFile),
      rejectUnauthorized: t.rejectUnauthorized,
      servername: t.servername,
    };
  }

  private sasl(): SASLOptions | undefined {
    const s = this.config.sasl;
    if (!s) return undefined;
    let password = s.password;
    if (password.startsWith('env:')) {
      const name = password.slice(4);
      const v = process.env[name];
      if (v === undefined) throw new PluginError(`sasl.password: environment variable ${name} is not set`);
      password = v;
    }
    return { mechanism: s.mechanism, username: s.username, password } as SASLOptions;
  }

  private encode(r: FlowRecord): string {
    switch (this.config.format) {
      case 'json':
        return encodeFlowJson(r);
      case 'ecs':
        return JSON.stringify(encodeFlowEcs(r));
      case 'ocsf':
        return JSON.stringify(encodeFlowOcsf(r, this.totals.add(r)));
      case 'cef':
        return encodeFlowCef(r);
    }
  }

  async handle(records: unknown[]): Promise<void> {
    if (!this.producer) throw new PluginError('sink-kafka is not started');
    const messages: Message[] = [];
    const headers = {
      'panoptes-schema': String(FLOW_SCHEMA_VERSION),
      'content-type': CONTENT_TYPE[this.config.format],
      'panoptes-format': this.config.format,
    };
    for (const r of records) {
      const problem = flowRecordProblem(r);
      if (problem) {
        this.ctx.count('not_flow_records');
        await this.ctx.reject(`not a flow record: ${problem}`, r);
        continue;
      }
      const f = r as FlowRecord;
      messages.push({ key: f.uid, value: this.encode(f), headers });
    }
    if (messages.length === 0) return;
    try {
      await this.producer.send({
        topic: this.config.topic,
        messages,
        acks: -1,
        compression: this.config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      });
    } catch (err) {
      // Not acknowledged: fail the batch so the input is not acknowledged as delivered either.
      this.ctx.count('send_failures');
      throw new PluginError(`cannot publish ${messages.length} records to ${this.config.topic}`, err);
    }
    this.sent += messages.length;
    this.ctx.count('sent', messages.length);
  }

  async stop(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect();
  }

  stats(): Record<string, number> {
    return { sent: this.sent, trackedFlows: this.totals.size };
  }
}
