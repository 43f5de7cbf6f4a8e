import { PluginContext, TransformService } from '@panoptes/plugin-sdk';
import { AggregateConfig } from './aggregate.config';
import { Aggregator } from './aggregate.aggregator';
import { AggregateRecord } from './aggregate.record';

/**
 * The aggregate plugin's service: feeds each batch to an Aggregator, emits
 * the windows the batch made final on `aggregates` and the late records on
 * `late`, dead-letters records with no usable stime, and emits every open
 * window at stop (the end of a finite input, or a shutdown).
 *
 * Records held in open windows have been acknowledged upstream before their
 * aggregate is emitted: a crash loses the open windows (at most
 * binSec + allowedLatenessSec of event time).
 */
export class AggregateService implements TransformService {
  private agg?: Aggregator;

  constructor(
    private readonly config: AggregateConfig,
    private readonly ctx: PluginContext,
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    this.agg = new Aggregator({
      keys: c.keys,
      binSec: c.binSec,
      allowedLatenessSec: c.allowedLatenessSec,
      maxGroups: c.maxGroups,
      distinct: c.distinct,
      topN: c.topN,
      topBy: c.topBy,
      hllPrecision: c.hllPrecision,
    });
  }

  async handle(records: unknown[]): Promise<void> {
    const agg = this.agg!;
    const out: AggregateRecord[] = [];
    const late: unknown[] = [];
    const before = { ...agg.counters };
    for (const r of records) {
      const isObject = typeof r === 'object' && r !== null;
      if (!isObject) agg.counters.bad++;
      const res = isObject ? agg.add(r as Record<string, unknown>, out) : 'bad';
      if (res === 'late') late.push(r);
      else if (res === 'bad') await this.ctx.reject('aggregate: record has no numeric stime', r);
    }
    await this.publish(out, late);
    this.count(before, records.length);
  }

  private async publish(out: AggregateRecord[], late: unknown[]): Promise<void> {
    if (out.length) await this.ctx.emit(out, 'aggregates');
    if (late.length) await this.ctx.emit(late, 'late');
  }

  private count(before: Record<string, number>, n: number): void {
    const c = this.agg!.counters as unknown as Record<string, number>;
    this.ctx.count('records_in', n);
    for (const k of ['late', 'bad', 'overflow', 'windows', 'groups']) {
      if (c[k] !== before[k]) this.ctx.count(k === 'groups' ? 'aggregates_out' : k, c[k] - before[k]);
    }
    this.ctx.gauge('open_windows', this.agg!.openWindows);
  }

  async stop(): Promise<void> {
    if (!this.agg) return;
    const before = { ...this.agg.counters };
    const out: AggregateRecord[] = [];
    this.agg.flush(out);
    await this.publish(out, []);
    this.count(before, 0);
    this.agg = undefined;
  }

  stats(): Record<string, number> {
    const c = this.agg?.counters;
    return c ? { ...c, openWindows: this.agg!.openWindows } : {};
  }
}
