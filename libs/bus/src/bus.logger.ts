/** The logger shape the bus writes to; the host's PluginLogger satisfies it. */
export interface BusLogger {
  debug(msg: string, ctx?: Record<string, unknown>): void;
  info(msg: string, ctx?: Record<string, unknown>): void;
  warn(msg: string, ctx?: Record<string, unknown>): void;
  error(msg: string, ctx?: Record<string, unknown>): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Lines to stderr in the host's format (`<time> <level> <component>: <message> k=v`),
 * at or above PANOPTES_LOG (default info), for a bus used without a host logger.
 */
export function stderrBusLogger(component: string): BusLogger {
  const min = Math.max(0, LEVELS.indexOf((process.env.PANOPTES_LOG ?? 'info') as (typeof LEVELS)[number]));
  const silent = process.env.PANOPTES_LOG === 'silent';
  const line = (level: (typeof LEVELS)[number]) => (msg: string, ctx?: Record<string, unknown>) => {
    if (silent || LEVELS.indexOf(level) < min) return;
    const extra = ctx
      ? Object.entries(ctx)
          .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
          .join('')
      : '';
    process.stderr.write(`${new Date().toISOString()} ${level} ${component}: ${msg}${extra}\n`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
