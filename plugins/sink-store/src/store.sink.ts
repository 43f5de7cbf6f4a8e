import { acquireFlowStore, FlowStore, isStorable, StoreLease } from '@panoptes/store';
import { PluginContext, PluginError, SinkService } from '@panoptes/plugin-sdk';
import { StoreSinkConfig } from './store.config';

/**
 * Stores flow records in the embedded DuckDB flow store. handle() resolves
 * once the batch is committed, so the bus acknowledges only what is stored
 * (at-least-once); replays are harmless because the store keeps one copy per
 * uid and seq. Records without uid, seq or times are dead-lettered.
 */
export class StoreSink implements SinkService {
  private lease?: StoreLease;
  private timer?: NodeJS.Timeout;
  private retaining?: Promise<void>;
  private stored = 0;
  private duplicates = 0;
  private deleted = 0;

  constructor(
    private config: StoreSinkConfig,
    private readonly ctx: PluginContext,
  ) {}

  get store(): FlowStore | undefined {
    return this.lease?.store;
  }

  async start(): Promise<void> {
    try {
      this.lease = await acquireFlowStore(this.config.path, {
        threads: this.config.threads || undefined,
        memoryLimitMb: this.config.memoryLimitMb || undefined,
      });
    } catch (err) {
      throw new PluginError(`cannot open flow store ${this.config.path}`, err);
    }
    this.schedule();
    this.ctx.log.info('flow store open', { path: this.config.path });
  }

  async handle(records: unknown[]): Promise<void> {
    const store = this.lease?.store;
    if (!store) throw new Error('sink-store is not started');
    const good: unknown[] = [];
    for (const r of records) {
      if (isStorable(r)) good.push(r);
      else await this.ctx.reject('not a flow record: needs uid, seq, stime and ltime', r);
    }
    for (let i = 0; i < good.length; i += this.config.batchRecords) {
      const part = good.slice(i, i + this.config.batchRecords);
      const r = await store.append(part);
      this.stored += r.inserted;
      this.duplicates += r.duplicates;
      this.ctx.count('stored', r.inserted);
      if (r.duplicates) this.ctx.count('duplicates', r.duplicates);
    }
  }

  private schedule(): void {
    clearInterval(this.timer);
    if (!this.config.retentionDays && !this.config.maxSizeMb) return;
    this.timer = setInterval(() => void this.retain(), this.config.retentionCheckSec * 1000);
    this.timer.unref();
    void this.retain();
  }

  /** Runs retention once (never twice at a time); failures are logged, not thrown. */
  retain(): Promise<void> {
    const store = this.lease?.store;
    if (!store || this.retaining) return this.retaining ?? Promise.resolve();
    this.retaining = store
      .applyRetention({ maxAgeDays: this.config.retentionDays, maxBytes: this.config.maxSizeMb * 1024 * 1024 })
      .then((n) => {
        this.deleted += n;
        if (n) {
          this.ctx.count('expired', n);
          this.ctx.log.info('retention deleted records', { records: n });
        }
      })
      .catch((err) => this.ctx.log.error('retention failed', { error: (err as Error).message }))
      .finally(() => (this.retaining = undefined));
    return this.retaining;
  }

  /** A new path reopens the store; new limits apply at once. */
  async reconfigure(config: object): Promise<void> {
    const next = config as StoreSinkConfig;
    if (next.path !== this.config.path) {
      await this.stop();
      this.config = next;
      await this.start();
      return;
    }
    this.config = next;
    this.schedule();
    await this.retaining;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.retaining;
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release();
  }

  stats(): Record<string, number | string> {
    return { path: this.config.path, stored: this.stored, duplicates: this.duplicates, expired: this.deleted };
  }
}
