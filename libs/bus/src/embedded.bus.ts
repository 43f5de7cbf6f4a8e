import { BatchHandler, Bus, DeadLetter, deadLetterTopic, SubscribeOptions, Subscription, TopicStats } from './bus';

export interface EmbeddedBusOptions {
  /** Most records one subscriber's queue holds before publishers wait. */
  readonly queueRecords?: number;
}

interface Waiter {
  resolve(): void;
}

/**
 * One consumer's bounded FIFO of batches. Publishers wait while it is full,
 * so a slow consumer slows its producers and nothing is dropped.
 */
class Consumer {
  private readonly queue: unknown[][] = [];
  private queued = 0;
  private readonly spaceWaiters: Waiter[] = [];
  private readonly idleWaiters: Waiter[] = [];
  private wake?: () => void;
  private busy = false;
  private closed = false;
  private loop?: Promise<void>;
  delivered = 0;

  constructor(
    readonly topic: string,
    readonly group: string,
    readonly capacity: number,
    private readonly handler: BatchHandler<unknown>,
    private readonly onError: (records: unknown[], err: unknown) => Promise<void>,
  ) {}

  get depth(): number {
    return this.queued;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Enqueues, waiting for room; a batch never exceeds capacity (the bus splits). */
  async put(batch: unknown[]): Promise<void> {
    while (this.queued > 0 && this.queued + batch.length > this.capacity) {
      await new Promise<void>((resolve) => this.spaceWaiters.push({ resolve }));
    }
    this.queue.push(batch);
    this.queued += batch.length;
    this.wake?.();
  }

  idle(): Promise<void> {
    if (this.queued === 0 && !this.busy) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push({ resolve }));
  }

  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    for (;;) {
      const batch = this.queue.shift();
      if (!batch) {
        for (const w of this.idleWaiters.splice(0)) w.resolve();
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      this.busy = true;
      try {
        await this.handler(batch, { topic: this.topic, partition: 0 });
      } catch (err) {
        await this.onError(batch, err);
      }
      this.busy = false;
      this.queued -= batch.length;
      this.delivered += batch.length;
      for (const w of this.spaceWaiters.splice(0)) w.resolve();
    }
  }
}

/**
 * The in-process bus: named topics, every group gets every batch, consumers
 * within a group split records by key so one flow stays with one consumer.
 */
export class EmbeddedBus implements Bus {
  readonly type = 'embedded' as const;
  private readonly capacity: number;
  private readonly groups = new Map<string, Map<string, Consumer[]>>();
  private readonly letters: DeadLetter[] = [];
  private readonly unrouted = new Map<string, number>();
  private readonly letterCounts = new Map<string, number>();

  constructor(options: EmbeddedBusOptions = {}) {
    this.capacity = Math.max(1, options.queueRecords ?? 50_000);
  }

  async start(): Promise<void> {}

  async publish<T>(topic: string, records: T[], key?: (record: T) => string): Promise<void> {
    if (records.length === 0) return;
    const groups = this.groups.get(topic);
    if (!groups || groups.size === 0) {
      this.unrouted.set(topic, (this.unrouted.get(topic) ?? 0) + records.length);
      return;
    }
    const puts: Promise<void>[] = [];
    for (const consumers of groups.values()) {
      if (consumers.length === 1 || !key) {
        const c = consumers.length === 1 ? consumers[0] : consumers[Math.floor(Math.random() * consumers.length)];
        puts.push(this.putChunks(c, records as unknown[]));
      } else {
        const parts: unknown[][] = consumers.map(() => []);
        for (const r of records) parts[hash(key(r)) % consumers.length].push(r);
        parts.forEach((p, i) => p.length && puts.push(this.putChunks(consumers[i], p)));
      }
    }
    await Promise.all(puts);
  }

  private async putChunks(c: Consumer, records: unknown[]): Promise<void> {
    for (let i = 0; i < records.length; i += this.capacity) {
      await c.put(i === 0 && records.length <= this.capacity ? records : records.slice(i, i + this.capacity));
    }
  }

  async subscribe<T>(topic: string, options: SubscribeOptions, handler: BatchHandler<T>): Promise<Subscription> {
    let groups = this.groups.get(topic);
    if (!groups) this.groups.set(topic, (groups = new Map()));
    let consumers = groups.get(options.group);
    if (!consumers) groups.set(options.group, (consumers = []));
    const consumer = new Consumer(
      topic,
      options.group,
      this.capacity,
      handler as BatchHandler<unknown>,
      (records, err) =>
        this.deadLetter({
          topic,
          reason: `handler failed: ${err instanceof Error ? err.message : String(err)}`,
          payload: records,
        }),
    );
    consumers.push(consumer);
    consumer.start();
    return {
      close: async () => {
        await consumer.close();
        const list = groups!.get(options.group);
        if (list) list.splice(list.indexOf(consumer), 1);
      },
    };
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    const dlq = deadLetterTopic(letter.topic);
    this.letterCounts.set(dlq, (this.letterCounts.get(dlq) ?? 0) + 1);
    if (this.groups.get(dlq)?.size) await this.publish(dlq, [letter]);
    else if (this.letters.length < 10_000) this.letters.push(letter);
  }

  /** Dead letters kept in memory when nothing subscribes to the dead-letter topic (bounded). */
  deadLetters(): readonly DeadLetter[] {
    return this.letters;
  }

  async drain(): Promise<void> {
    // Handlers publish onwards, so a pass can refill an earlier queue: repeat until quiet.
    for (;;) {
      const all = [...this.groups.values()].flatMap((g) => [...g.values()].flat());
      if (all.every((c) => c.depth === 0)) {
        await Promise.all(all.map((c) => c.idle()));
        if (all.every((c) => c.depth === 0)) return;
      }
      await Promise.all(all.map((c) => c.idle()));
    }
  }

  stats(): TopicStats[] {
    const out: TopicStats[] = [];
    for (const [topic, groups] of this.groups) {
      for (const [group, consumers] of groups) {
        out.push({
          topic,
          group,
          depth: consumers.reduce((s, c) => s + c.depth, 0),
          capacity: this.capacity * consumers.length,
          delivered: consumers.reduce((s, c) => s + c.delivered, 0),
        });
      }
    }
    return out;
  }

  /** Records published to topics nobody subscribes to, by topic. */
  unroutedCounts(): ReadonlyMap<string, number> {
    return this.unrouted;
  }

  deadLetterCounts(): ReadonlyMap<string, number> {
    return this.letterCounts;
  }

  async stop(): Promise<void> {
    await this.drain();
    const all = [...this.groups.values()].flatMap((g) => [...g.values()].flat());
    await Promise.all(all.map((c) => c.close()));
    this.groups.clear();
  }
}

/** FNV-1a: cheap and stable, for spreading keys over consumers. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
