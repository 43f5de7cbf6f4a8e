import { definePlugin } from '@panoptes/plugin-sdk';
import { KafkaSinkConfig } from './kafka-sink.config';
import { KafkaSink } from './kafka.sink';

export const sinkKafkaPlugin = definePlugin({
  id: 'sink-kafka',
  kind: 'sink',
  description: "publishes flow records to a SIEM's Kafka topic as Panoptes JSON, ECS, OCSF Network Activity or CEF",
  inputs: { records: 'flows.raw' },
  config: KafkaSinkConfig,
  preflight: async (c) => {
    const { access } = await import('node:fs/promises');
    const issues = [];
    for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
      const file = c.tls?.enabled !== false ? c.tls?.[k] : undefined;
      if (file) await access(file).catch(() => issues.push({ path: `tls.${k}`, message: `file not found: ${file}` }));
    }
    const pw = c.sasl?.password;
    if (pw?.startsWith('env:') && process.env[pw.slice(4)] === undefined) {
      issues.push({ path: 'sasl.password', message: `environment variable ${pw.slice(4)} is not set` });
    }
    return issues;
  },
  create: (config, ctx) => new KafkaSink(config, ctx),
});

export { KafkaSinkConfig, KafkaSink };
export { FlowTotalsTracker } from './flow-totals';
