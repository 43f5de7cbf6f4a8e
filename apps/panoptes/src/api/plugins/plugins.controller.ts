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
import { hostname } from 'node:os';
import { InstanceView, PluginHost } from '../../runtime/plugin-host';
import { ControlAction, remotePluginsOf, WorkerAnswer } from '../../runtime/remote-control';
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

  /** The local instance, or undefined when it runs in another process (Kafka bus); 404 when nobody has it. */
  private instance(id: string): InstanceView | undefined {
    if (!ID.test(id))
      throw new BadRequestException(
        `plugin id must be lowercase letters, digits, - or _ (at most 64), found "${id.slice(0, 70)}"`,
      );
    const v = this.host.get(id);
    if (!v && !remotePluginsOf(this.host) && !this.host.config.instances.some((i) => i.id === id))
      throw new NotFoundException(`no plugin instance "${id}"; GET /api/v1/plugins lists them`);
    return v;
  }

  /**
   * Runs a command on the worker process that has the instance (Kafka bus,
   * over the control topic). A refused config answers 400 with the worker's
   * message; an instance no worker answers for, 404.
   */
  private async remote(action: ControlAction, id: string, config?: unknown): Promise<Record<string, unknown>> {
    const remote = remotePluginsOf(this.host);
    if (!remote || action === 'list')
      throw new NotFoundException(`plugin instance "${id}" does not run in this process`);
    try {
      return { ...viewOf(await remote.command(action, id, config)), remote: true };
    } catch (err) {
      const msg = errorMessage(err);
      if (/no worker runs plugin instance|no plugin instance/.test(msg)) throw new NotFoundException(msg);
      if (action === 'reconfigure') throw new BadRequestException(msg);
      throw new ConflictException(`cannot ${action} ${id}: ${msg}`);
    }
  }

  @Get()
  @ApiOperation({
    summary:
      'every plugin instance: state, topics, config, counters; on the Kafka bus also those of the other processes (workers)',
  })
  async list(): Promise<{ plugins: Record<string, unknown>[]; workers?: Record<string, unknown>[] }> {
    const plugins = this.host.list().map(viewOf);
    const remote = remotePluginsOf(this.host);
    if (!remote) return { plugins };
    const self = (w: WorkerAnswer) => w.pid === process.pid && w.hostname === hostname();
    const others = (await remote.list()).filter((w) => !self(w));
    for (const w of others) {
      for (const i of w.instances) plugins.push({ ...viewOf(i), remote: true, worker: w.worker });
    }
    return {
      plugins,
      workers: others.map((w) => ({
        worker: w.worker,
        hostname: w.hostname,
        pid: w.pid,
        instances: w.instances.map((i) => i.id),
      })),
    };
  }

  @Get(':id')
  @ApiParam({ name: 'id', description: 'plugin instance id from the config' })
  @ApiOperation({ summary: 'one plugin instance: state, config, counters and its metrics' })
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const v = this.instance(id);
    if (!v) return this.remote('inspect', id);
    return { ...viewOf(v), metrics: await this.metricsOf(id) };
  }

  @Post(':id/start')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({ summary: 'start a stopped (or finished, or failed) instance (admin)' })
  async start(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!this.instance(id)) return this.remote('start', id);
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
    if (!this.instance(id)) return this.remote('stop', id);
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
    const local = this.instance(id);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException('expected the new config as a JSON object (Content-Type: application/json)');
    }
    if (!local) return this.remote('reconfigure', id, body);
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
