import { access } from 'node:fs/promises';
import { definePlugin } from '@panoptes/plugin-sdk';
import { checkFilter } from '@panoptes/capture';
import { PcapSensorConfig } from './pcap.config';
import { PcapSensor } from './pcap.sensor';

export const sensorPcapPlugin = definePlugin({
  id: 'sensor-pcap',
  kind: 'source',
  description: 'meters packets from an interface or a pcap/pcapng file into bidirectional Argus-style flow records',
  outputs: { flows: 'flows.raw', dns: 'dns.answers' },
  config: PcapSensorConfig,
  finite: (c) => c.file !== undefined,
  preflight: async (c) => {
    const issues = [];
    if (c.file !== undefined && c.interface !== undefined) {
      issues.push({ path: 'file', message: 'give either interface or file, not both' });
    }
    if (c.file !== undefined) {
      await access(c.file).catch(() => issues.push({ path: 'file', message: `file not found: ${c.file}` }));
    }
    if (c.bpf !== undefined) {
      try {
        checkFilter(c.bpf);
      } catch (err) {
        issues.push({ path: 'bpf', message: (err as Error).message });
      }
    }
    return issues;
  },
  create: (config, ctx) => new PcapSensor(config, ctx),
});

export { PcapSensorConfig, PcapSensor };
