import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { PluginHost } from '../../runtime/plugin-host';
import { PLUGIN_HOST } from '../api.tokens';

@Controller()
export class HealthController {
  constructor(@Inject(PLUGIN_HOST) private readonly host: PluginHost) {}

  /** The process is up and serving HTTP. */
  @Get('healthz')
  @HttpCode(200)
  health(): { status: string } {
    return { status: 'ok' };
  }

  /** Every plugin instance started and none has failed. */
  @Get('readyz')
  ready(@Res({ passthrough: true }) res: Response): { status: string; failed: string[] } {
    const failed = this.host
      .list()
      .filter((i) => i.state === 'failed')
      .map((i) => i.id);
    const ready = this.host.ready;
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', failed };
  }

  /** Prometheus text exposition. */
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.host.metrics.registry.metrics();
  }
}
