import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Put,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ConfigError, errorMessage } from '@panoptes/plugin-sdk';
import { InstanceView, PluginHost } from '../../runtime/plugin-host';
import { PLUGIN_HOST } from '../api.tokens';
import { RequireRole } from '../security/roles.guard';

const ID = /^[a-z][a-z0-9_-]{0,63}$/;
const SECRET = /pass(word)?|secret|token|credential|api[-_]?key|sasl/i;

/** Secrets in a plugin's config (Kafka SASL passwords, ...) are shown as "***". */
function redact(v: unknown, key = ''): unknown {
  if (SECRET.test(key) && v !== undefined && v !== null && typeof v !== 'object') return '***';
  if (Array.isArray(v)) return v.map((x) => redact(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x, k)]));
  return v;
}

export function viewOf(v: InstanceView): Record<string, unknown> {
  return { ...v, config: redact(v.config) };
}

@ApiTags('plugins')
@ApiBearerAuth()
@Controller('api/v1/plugins')
export class PluginsController {
  constructor(@Inject(PLUGIN_HOST) private readonly host: PluginHost) {}

  private instance(id: string): InstanceView {
    if (!ID.test(id))
      throw new BadRequestException(
        `plugin id must be lowercase letters, digits, - or _ (at most 64), found "${id.slice(0, 70)}"`,
      );
    const v = this.host.get(id);
    if (!v) throw new NotFoundException(`no plugin instance "${id}"; GET /api/v1/plugins lists them`);
    return v;
  }

  @Get()
  @ApiOperation({ summary: 'every plugin instance: state, topics, config, counters' })
  list(): { plugins: Record<string, unknown>[] } {
    return { plugins: this.host.list().map(viewOf) };
  }

  @Get(':id')
  @ApiParam({ name: 'id', description: 'plugin instance id from the config' })
  @ApiOperation({ summary: 'one plugin instance: state, config, counters and its metrics' })
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const v = this.instance(id);
    return { ...viewOf(v), metrics: await this.metricsOf(id) };
  }

  @Post(':id/start')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({ summary: 'start a stopped (or finished, or failed) instance (admin)' })
  async start(@Param('id') id: string): Promise<Record<string, unknown>> {
    this.instance(id);
    try {
      return viewOf(await this.host.startInstance(id));
    } catch (err) {
      throw new ConflictException(`cannot start ${id}: ${errorMessage(err)}`);
    }
  }

  @Post(':id/stop')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({ summary: 'stop an instance (admin); a sink drains what it was handed first' })
  async stop(@Param('id') id: string): Promise<Record<string, unknown>> {
    this.instance(id);
    return viewOf(await this.host.stopInstance(id));
  }

  @Put(':id/config')
  @RequireRole('admin')
  @ApiOperation({
    summary:
      "replace an instance's config (its `with:` section) at run time (admin): validated first; a bad one answers 400 with every error and changes nothing",
  })
  @ApiBody({
    schema: { type: 'object', additionalProperties: true, example: { path: 'var/flows.duckdb', retentionDays: 30 } },
  })
  async configure(@Param('id') id: string, @Body() body: unknown): Promise<Record<string, unknown>> {
    this.instance(id);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException('expected the new config as a JSON object (Content-Type: application/json)');
    }
    try {
      return viewOf(await this.host.reconfigure(id, body));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConflictException(`cannot apply the new config to ${id}: ${errorMessage(err)}`);
    }
  }

  private async metricsOf(id: string): Promise<Record<string, unknown>> {
    const m = this.host.metrics;
    const sum = async (metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }) =>
      (await metric.get()).values.filter((x) => x.labels.plugin === id).reduce((a, x) => a + x.value, 0);
    const byName = async (metric: {
      get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }>;
    }) =>
      Object.fromEntries(
        (await metric.get()).values
          .filter((x) => x.labels.plugin === id)
          .map((x) => [String(x.labels.name ?? x.labels.reason), x.value]),
      );
    return {
      recordsIn: await sum(m.recordsIn),
      recordsOut: await sum(m.recordsOut),
      errors: await sum(m.errors),
      up: await sum(m.up),
      events: await byName(m.events),
    };
  }
}
