import { definePlugin } from '@panoptes/plugin-sdk';
import { DnsEnrichConfig } from './dns.config';
import { DnsAlert, DnsEnricher } from './dns.enricher';
import { PassiveDnsTable } from './dns.table';
import { PtrCache } from './dns.ptr';

export const enrichDnsPlugin = definePlugin({
  id: 'enrich-dns',
  kind: 'transform',
  description: 'labels flows with the DNS names their clients resolved (passive DNS) and alerts on rogue DNS servers',
  inputs: { flows: 'flows.geo', dns: 'dns.answers' },
  outputs: { flows: 'flows.enriched', alerts: 'alerts' },
  // Labels must not depend on which replica got which flows: every replica reads every answer.
  broadcastInputs: ['dns'],
  config: DnsEnrichConfig,
  create: (config, ctx) => new DnsEnricher(config, ctx),
});

export { DnsEnrichConfig, DnsEnricher, PassiveDnsTable, PtrCache };
export type { DnsAlert };
