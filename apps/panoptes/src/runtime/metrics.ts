import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { Bus, TopicStats } from '@panoptes/bus';

/** The host's Prometheus registry: per plugin instance records in/out, errors, and queue depth per topic. */
export class HostMetrics {
  readonly registry = new Registry();
  readonly recordsIn = new Counter({
    name: 'panoptes_plugin_records_in_total',
    help: 'records handed to a plugin instance',
    labelNames: ['plugin', 'port'],
    registers: [this.registry],
  });
  readonly recordsOut = new Counter({
    name: 'panoptes_plugin_records_out_total',
    help: 'records emitted by a plugin instance',
    labelNames: ['plugin', 'port'],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'panoptes_plugin_errors_total',
    help: 'batches or records a plugin instance failed on or rejected',
    labelNames: ['plugin', 'reason'],
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'panoptes_plugin_events_total',
    help: 'plugin-specific counters (lookups, cache hits, drops by reason, ...)',
    labelNames: ['plugin', 'name'],
    registers: [this.registry],
  });
  readonly values = new Gauge({
    name: 'panoptes_plugin_value',
    help: 'plugin-specific gauges (flows active, ...)',
    labelNames: ['plugin', 'name'],
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: 'panoptes_plugin_up',
    help: '1 while a plugin instance runs',
    labelNames: ['plugin'],
    registers: [this.registry],
  });

  constructor(bus: () => Bus | undefined) {
    collectDefaultMetrics({ register: this.registry, prefix: 'panoptes_' });
    // Per topic and consumer group, read from the bus at scrape time.
    const topicGauge = (name: string, help: string, pick: (s: TopicStats) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['topic', 'group'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const s of bus()?.stats() ?? []) {
            const v = pick(s);
            if (v !== undefined) this.set({ topic: s.topic, group: s.group }, v);
          }
        },
      });
    topicGauge(
      'panoptes_topic_queue_depth',
      'records waiting per topic and consumer group (Kafka: consumer lag)',
      (s) => s.depth,
    );
    topicGauge(
      'panoptes_topic_queue_capacity',
      'bound of the queue per topic and consumer group (embedded bus)',
      (s) => s.capacity,
    );
  }
}
