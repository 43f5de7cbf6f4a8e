import { definePlugin } from '@panoptes/plugin-sdk';
import { FileSinkConfig } from './file.config';
import { FileSink } from './file.sink';

export const sinkFilePlugin = definePlugin({
  id: 'sink-file',
  kind: 'sink',
  description: 'writes records as JSON lines or CSV to a file or stdout, with rotation',
  inputs: { records: 'flows.raw' },
  config: FileSinkConfig,
  // JSON lines are written as they came off the bus; CSV reads fields.
  textInput: (config) => config.format !== 'csv',
  create: (config, ctx) => new FileSink(config, ctx),
});

export { FileSinkConfig, FileSink };
