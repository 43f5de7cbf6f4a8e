import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ApiConfig } from '../../config/config.schema';
import { ApiKeys, bearer, Role } from './api-keys';
import { RateLimiter } from './rate-limiter';

/** Paths that answer without a key: probes, and /metrics when api.publicMetrics. */
function openPaths(config: ApiConfig): Set<string> {
  const open = new Set(['/healthz', '/readyz']);
  if (config.publicMetrics) open.add('/metrics');
  return open;
}

/**
 * Static pages that hold no data and must load in a browser before it has a
 * key: the web console's files (it asks for a key, then calls /api/v1 with
 * it). Everything under /api, and every route that returns data, needs a key.
 */
export const STATIC_PUBLIC = (path: string): boolean =>
  path === '/' || path === '/index.html' || path.startsWith('/console/');

export interface AuthedRequest extends Request {
  role?: Role;
}

/**
 * Runs before every route, Swagger's included: a request needs a valid key
 * (401 otherwise) unless its path is open, and each client (its key, or its
 * address while it has none) is held to the rate limit (429). Roles are
 * checked per route by RolesGuard.
 */
export function apiAuth(config: ApiConfig, keys: ApiKeys) {
  const open = openPaths(config);
  const limiter = new RateLimiter(config.rateLimitPerSec, config.rateLimitBurst);
  return (req: AuthedRequest, res: Response, next: NextFunction): void => {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    if (open.has(path) || (req.method === 'GET' && STATIC_PUBLIC(path))) return next();
    const key = bearer(req.headers.authorization);
    const role = key !== undefined ? keys.roleOf(key) : undefined;
    const client = role
      ? `key:${createHash('sha256').update(key!).digest('hex').slice(0, 16)}`
      : `addr:${req.socket.remoteAddress}`;
    const wait = limiter.take(client);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      res
        .status(429)
        .json({ statusCode: 429, error: 'Too Many Requests', message: `rate limit exceeded: retry in ${wait} s` });
      return;
    }
    if (!role) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="panoptes"');
      const message =
        key === undefined
          ? req.headers.authorization
            ? 'malformed Authorization header: expected "Bearer <api key>"'
            : 'missing API key: send "Authorization: Bearer <api key>"'
          : 'invalid API key';
      res.status(401).json({ statusCode: 401, error: 'Unauthorized', message });
      return;
    }
    req.role = role;
    next();
  };
}
