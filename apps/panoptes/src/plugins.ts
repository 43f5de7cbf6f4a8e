import { AnyPluginManifest } from '@panoptes/plugin-sdk';
import { sourceJsonlPlugin } from '@panoptes/plugin-source-jsonl';
import { sinkFilePlugin } from '@panoptes/plugin-sink-file';
import { ingestZeekPlugin } from '@panoptes/plugin-ingest-zeek';
import { sinkKafkaPlugin } from '@panoptes/plugin-sink-kafka';
import { enrichGeoipPlugin } from '@panoptes/plugin-enrich-geoip';
import { enrichDnsPlugin } from '@panoptes/plugin-enrich-dns';
import { aggregatePlugin } from '@panoptes/plugin-aggregate';
import { sinkStorePlugin } from '@panoptes/plugin-sink-store';

import { sensorPcapPlugin } from '@panoptes/plugin-sensor-pcap';
/** Every plugin the host can load, one line each. No globbing, no discovery. */
const ALL: AnyPluginManifest[] = [
  sensorPcapPlugin,
  sourceJsonlPlugin,
  sinkFilePlugin,
  ingestZeekPlugin,
  sinkKafkaPlugin,
  enrichGeoipPlugin,
  enrichDnsPlugin,
  aggregatePlugin,
  sinkStorePlugin,
];

export const PLUGINS: ReadonlyMap<string, AnyPluginManifest> = new Map(ALL.map((m) => [m.id, m]));
