import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PluginHost } from '../../runtime/plugin-host';
import { PLUGIN_HOST } from '../api.tokens';

interface Sample {
  readonly at: number;
  readonly delivered: ReadonlyMap<string, number>;
}

const SAMPLE_MS = 2_000;
/** Rates are measured over about this long. */
const WINDOW_MS = 10_000;

/**
 * Delivery rates per topic and consumer group, from bus.stats() sampled
 * every 2 s: records/s over the last ~10 s.
 */
@Injectable()
export class TopicRates implements OnModuleInit, OnModuleDestroy {
  private readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;

  constructor(@Inject(PLUGIN_HOST) private readonly host: PluginHost) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private sample(now = Date.now()): Sample {
    const delivered = new Map<string, number>();
    for (const s of this.host.getBus()?.stats() ?? []) delivered.set(`${s.topic}\u0000${s.group}`, s.delivered);
    const sample = { at: now, delivered };
    this.samples.push(sample);
    while (this.samples.length > 2 && now - this.samples[1].at >= WINDOW_MS) this.samples.shift();
    return sample;
  }

  /** records/s per "topic\0group" over the window (0 until two samples exist). */
  rates(): Map<string, number> {
    const now = this.sample();
    const old = this.samples[0];
    const out = new Map<string, number>();
    const dt = (now.at - old.at) / 1000;
    for (const [k, v] of now.delivered) out.set(k, dt > 0 ? Math.max(0, (v - (old.delivered.get(k) ?? 0)) / dt) : 0);
    return out;
  }
}
