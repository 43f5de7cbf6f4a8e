import { definePlugin } from '@panoptes/plugin-sdk';
import { ZeekIngestConfig } from './zeek.config';
import { ZeekSource } from './zeek.source';

export const ingestZeekPlugin = definePlugin({
  id: 'ingest-zeek',
  kind: 'source',
  description:
    'reads Zeek conn.log and dns.log (TSV or JSON; a file, a directory, or followed) into flow records and DNS answers',
  outputs: { flows: 'flows.raw', dns: 'dns.answers' },
  config: ZeekIngestConfig,
  finite: (c) => !c.follow,
  preflight: async (c) => {
    const { stat } = await import('node:fs/promises');
    return stat(c.path).then(
      () => [],
      () => [{ path: 'path', message: `file or directory not found: ${c.path}` }],
    );
  },
  create: (config, ctx) => new ZeekSource(config, ctx),
});

export { ZeekIngestConfig, ZeekSource };
export { readZeekFile, zeekLogsIn, ZEEK_LOG_NAME } from './zeek.reader';
export type { ZeekItem, ReadOptions } from './zeek.reader';
export { connToFlow } from './zeek.conn';
export { dnsToAnswer } from './zeek.dns';
export { ZeekLogParser } from './zeek.parser';
