import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PluginHost } from '../../runtime/plugin-host';
import { PLUGIN_HOST } from '../api.tokens';
import { TopicRates } from './topic-rates';

interface TopicView {
  name: string;
  producers: string[];
  consumers: string[];
  groups: { group: string; depth: number; capacity?: number; delivered: number; ratePerSec: number }[];
  /** Records/s delivered, the fastest consumer group's. */
  ratePerSec: number;
}

@ApiTags('pipeline')
@ApiBearerAuth()
@Controller('api/v1/pipeline')
export class PipelineController {
  constructor(
    @Inject(PLUGIN_HOST) private readonly host: PluginHost,
    private readonly rates: TopicRates,
  ) {}

  @Get()
  @ApiOperation({ summary: 'the topic graph: plugin instances, the topics between them, queue depths and rates' })
  graph(): { bus: string; nodes: object[]; topics: TopicView[]; edges: { from: string; to: string; topic: string }[] } {
    const views = this.host.list();
    const topics = new Map<string, TopicView>();
    const topic = (name: string): TopicView => {
      let t = topics.get(name);
      if (!t) topics.set(name, (t = { name, producers: [], consumers: [], groups: [], ratePerSec: 0 }));
      return t;
    };
    for (const v of views) {
      for (const t of Object.values(v.outputs)) topic(t).producers.push(v.id);
      for (const t of Object.values(v.inputs)) topic(t).consumers.push(v.id);
    }
    const rates = this.rates.rates();
    for (const s of this.host.getBus()?.stats() ?? []) {
      const t = topic(s.topic);
      const ratePerSec = Math.round((rates.get(`${s.topic}\u0000${s.group}`) ?? 0) * 10) / 10;
      t.groups.push({ group: s.group, depth: s.depth, capacity: s.capacity, delivered: s.delivered, ratePerSec });
      t.ratePerSec = Math.max(t.ratePerSec, ratePerSec);
    }
    const edges = [...topics.values()].flatMap((t) =>
      t.producers.flatMap((from) => t.consumers.map((to) => ({ from, to, topic: t.name }))),
    );
    return {
      bus: this.host.config.bus.type,
      nodes: views.map((v) => ({
        id: v.id,
        use: v.use,
        kind: v.kind,
        state: v.state,
        inputs: v.inputs,
        outputs: v.outputs,
        error: v.error,
      })),
      topics: [...topics.values()].sort((a, b) => a.name.localeCompare(b.name)),
      edges,
    };
  }
}
