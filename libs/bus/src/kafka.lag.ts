import { Admin } from 'kafkajs';
import { TopicStats } from './bus';
import { BusLogger } from './bus.logger';
import { KafkaSubscription } from './kafka.consumer';

/**
 * Consumer lag per (topic, group) of this process's subscriptions: the end
 * offsets minus the group's committed offsets, summed over partitions, read
 * from the brokers every interval. A partition the group never committed
 * counts from the log start (the group reads from the beginning). While the
 * brokers are unreachable the last reading stays.
 *
 * Offsets count Kafka messages, and a message may pack many records, so the
 * lag in records is the lag in messages times the records per message seen
 * on that topic (exact when every message holds one record).
 */
export class LagReader {
  private readonly last = new Map<string, { topic: string; group: string; depth: number }>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<TopicStats[]>;

  constructor(
    private readonly admin: Admin,
    private readonly intervalMs: number,
    private readonly subs: () => KafkaSubscription[],
    private readonly log: BusLogger,
    /** Records per message on a topic, as seen by this process. */
    private readonly recordsPerMessage: (sub: KafkaSubscription) => number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.log.debug('cannot read consumer lag', { error: (err as Error).message }));
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads the lag now (one reading at a time; a caller during a reading shares it). */
  refresh(): Promise<TopicStats[]> {
    if (!this.running) {
      this.running = this.read().finally(() => (this.running = undefined));
    }
    return this.running;
  }

  private async read(): Promise<TopicStats[]> {
    const pairs = new Map<string, KafkaSubscription>();
    for (const s of this.subs()) pairs.set(`${s.kafkaTopic}\u0000${s.groupId}`, s);
    const ends = new Map<string, Promise<{ partition: number; high: string; low: string }[]>>();
    const readings = await Promise.all(
      [...pairs.entries()].map(async ([k, s]) => {
        let end = ends.get(s.kafkaTopic);
        if (!end) ends.set(s.kafkaTopic, (end = this.admin.fetchTopicOffsets(s.kafkaTopic)));
        const [offsets, committed] = await Promise.all([
          end,
          this.admin.fetchOffsets({ groupId: s.groupId, topics: [s.kafkaTopic] }),
        ]);
        const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
        let messages = 0;
        for (const p of offsets) {
          const c = done.get(p.partition) ?? -1;
          messages += Math.max(0, Number(p.high) - (c >= 0 ? c : Number(p.low)));
        }
        return [
          k,
          { topic: s.topic, group: s.group, depth: Math.round(messages * this.recordsPerMessage(s)) },
        ] as const;
      }),
    );
    for (const key of [...this.last.keys()]) if (!pairs.has(key)) this.last.delete(key);
    for (const [k, v] of readings) this.last.set(k, v);
    return this.stats();
  }

  /** The last reading, with delivered counts as of now. */
  stats(): TopicStats[] {
    const subs = this.subs();
    return [...this.last.values()].map((v) => ({
      ...v,
      delivered: subs.filter((s) => s.topic === v.topic && s.group === v.group).reduce((n, s) => n + s.delivered, 0),
    }));
  }
}
