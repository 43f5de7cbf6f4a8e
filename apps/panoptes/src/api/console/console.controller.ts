import { Controller, Get, Header, NotFoundException, Param, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { repoRoot } from '../../runtime/paths';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Everything the page may load comes from this host: the console ships its own
 * code and draws its own charts, so a CDN reference would be a bug, and the
 * policy makes the browser refuse one.
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Where `npm run build:console` writes the console. */
export const consoleDir = (): string => join(repoRoot(), 'dist', 'console');

/**
 * Maps a requested asset name to a file name in the console folder, or
 * undefined when the name could leave the folder. The console's modules import
 * each other without an extension (so the same sources run under Jest), hence
 * a module name (`live.view`) is its `.js` file.
 */
export function consoleFile(name: string): string | undefined {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) return undefined;
  if (TYPES[extname(name)]) return name;
  // "live.view" is the module live.view.js; a name with any other ending is refused.
  return /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)?$/.test(name) ? `${name}.js` : undefined;
}

/** Serves the web console at / and its assets under /console/; the data comes from /api/v1 with the user's key. */
@ApiExcludeController()
@Controller()
export class ConsoleController {
  @Get()
  @Header('Cache-Control', 'no-cache')
  async index(@Res() res: Response): Promise<void> {
    await this.send(res, 'index.html');
  }

  @Get('console/:name')
  @Header('Cache-Control', 'no-cache')
  async asset(@Param('name') name: string, @Res() res: Response): Promise<void> {
    const file = consoleFile(name);
    if (!file) throw new NotFoundException(`no console asset "${name}"`);
    await this.send(res, file);
  }

  private async send(res: Response, file: string): Promise<void> {
    let body: Buffer;
    try {
      body = await readFile(join(consoleDir(), file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (file === 'index.html')
        throw new ServiceUnavailableException('the web console is not built; run "npm run build:console"');
      throw new NotFoundException(`no console asset "${file}"`);
    }
    res.setHeader('Content-Type', TYPES[extname(file)]);
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.send(body);
  }
}
