import { NestFactory } from '@nestjs/core';
import { ApiConfig } from '../config/config.schema';
import { PluginHost } from '../runtime/plugin-host';
import { createLogger } from '../runtime/logger';
import { AppModule } from './app.module';

const log = createLogger('api');

export interface ApiServer {
  /** The address actually bound (port 0 in config picks a free port). */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the NestJS HTTP server for a host. */
export async function startApi(host: PluginHost, config: ApiConfig): Promise<ApiServer> {
  const app = await NestFactory.create(AppModule.forRoot(host, config), { logger: ['error', 'warn'], bodyParser: true });
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(config.listen)!;
  await app.listen(Number(m[2]), m[1]);
  const addr = app.getHttpServer().address() as { port: number; address: string };
  const host6 = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host6}:${addr.port}`;
  log.info('api listening', { url });
  process.env.PANOPTES_API_URL = url;
  return { url, close: () => app.close() };
}
