import { definePlugin } from '@panoptes/plugin-sdk';
import { JsonlSourceConfig } from './jsonl.config';
import { JsonlSource } from './jsonl.source';

export const sourceJsonlPlugin = definePlugin({
  id: 'source-jsonl',
  kind: 'source',
  description: 'replays a JSON-lines flow record file',
  outputs: { flows: 'flows.raw' },
  config: JsonlSourceConfig,
  finite: (c) => c.path !== '-',
  preflight: async (c) => {
    if (c.path === '-') return [];
    const { access } = await import('node:fs/promises');
    return access(c.path).then(
      () => [],
      () => [{ path: 'path', message: `file not found: ${c.path}` }],
    );
  },
  create: (config, ctx) => new JsonlSource(config, ctx),
});

export { JsonlSourceConfig, JsonlSource };
