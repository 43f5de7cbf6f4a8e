import { definePlugin } from '@panoptes/plugin-sdk';
import { AggregateConfig } from './aggregate.config';
import { AggregateService } from './aggregate.service';

export const aggregatePlugin = definePlugin({
  id: 'aggregate',
  kind: 'transform',
  description:
    'rolls flow records up by key over event-time windows (racluster/rabins), with late records on their own topic',
  inputs: { flows: 'flows.enriched' },
  outputs: { aggregates: 'flows.agg', late: 'flows.agg.late' },
  config: AggregateConfig,
  create: (config, ctx) => new AggregateService(config, ctx),
});

export { AggregateConfig, AggregateService };
export { Aggregator, type AggregatorOptions, type AddResult, type TopBy } from './aggregate.aggregator';
export { type AggregateRecord } from './aggregate.record';
export { parseKeys, splitKeyList, KeySpecError } from './aggregate.keys';
export { HyperLogLog, hashValue } from './aggregate.hll';
export { argusRecords, timeAggregation, timeRacluster, type RunTiming } from './aggregate.bench';
