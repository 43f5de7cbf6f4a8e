import { definePlugin } from '@panoptes/plugin-sdk';
import { StoreSinkConfig } from './store.config';
import { StoreSink } from './store.sink';

export const sinkStorePlugin = definePlugin({
  id: 'sink-store',
  kind: 'sink',
  description: 'stores flow records in the embedded DuckDB flow store that the REST API queries',
  inputs: { records: 'flows.raw' },
  config: StoreSinkConfig,
  create: (config, ctx) => new StoreSink(config, ctx),
});

export { StoreSinkConfig, StoreSink };
