import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { json, NextFunction, Request, Response } from 'express';
import { ApiConfig } from '../config/config.schema';
import { PluginHost } from '../runtime/plugin-host';
import { createLogger } from '../runtime/logger';
import { AppModule } from './app.module';
import { ApiKeys } from './security/api-keys';
import { apiAuth } from './security/api-auth.middleware';
import { setupOpenApi } from './openapi';

const log = createLogger('api');

export interface ApiServer {
  /** The address actually bound (port 0 in config picks a free port). */
  readonly url: string;
  close(): Promise<void>;
}

/** Body parser failures (too large, not JSON) as JSON errors instead of Express's HTML page. */
function bodyErrors(
  err: { status?: number; type?: string; message?: string },
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (!err) return next();
  const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
  const message =
    err.type === 'entity.too.large'
      ? `request body too large: ${err.message}`
      : err.type === 'entity.parse.failed'
        ? `request body is not valid JSON: ${err.message}`
        : `bad request body: ${err.message}`;
  res.status(status).json({ statusCode: status, error: status === 413 ? 'Payload Too Large' : 'Bad Request', message });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Starts the NestJS HTTP server for a host. */
export async function startApi(host: PluginHost, config: ApiConfig): Promise<ApiServer> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(host, config), {
    logger: ['error', 'warn'],
    bodyParser: false,
  });
  const keys = new ApiKeys(config.keys);
  for (const k of keys.ignored) log.warn('api key ignored', { key: k });
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(config.listen)!;
  if (keys.size === 0 && isLoopback(m[1])) {
    // Like a notebook server's token: a host that only this machine can reach
    // and has no keys gets a one-run admin key, printed once, so that a first
    // `npm start` gives a usable API without ever opening it keyless.
    const key = keys.generateAdmin();
    process.stderr.write(`panoptes: no API keys configured; admin key for this run: ${key}\n`);
  } else if (keys.size === 0) {
    log.warn(
      'no api keys configured: every route but /healthz and /readyz answers 401 (set api.keys, e.g. env:PANOPTES_ADMIN_KEY)',
    );
  }
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(apiAuth(config, keys));
  app.use(json({ limit: config.maxBodyBytes }));
  app.use(bodyErrors);
  setupOpenApi(app);
  await app.listen(Number(m[2]), m[1]);
  const server = app.getHttpServer();
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;
  const addr = server.address() as { port: number; address: string };
  const host6 = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host6}:${addr.port}`;
  log.info('api listening', { url, keys: keys.size });
  process.env.PANOPTES_API_URL = url;
  return {
    url,
    close: async () => {
      // Live (SSE) responses never end by themselves.
      server.closeAllConnections?.();
      await app.close();
    },
  };
}
