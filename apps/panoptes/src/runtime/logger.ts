import { PluginLogger } from '@panoptes/plugin-sdk';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

let threshold: LogLevel =
  (process.env.PANOPTES_LOG as LogLevel) in ORDER ? (process.env.PANOPTES_LOG as LogLevel) : 'info';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

function fmt(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[\s"=]/.test(s ?? '') ? JSON.stringify(s) : String(s);
}

/** Lines to stderr: `level component: message key=value ...` (stdout stays for data). */
export function createLogger(component: string): PluginLogger {
  const write = (level: LogLevel, msg: string, ctx?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[threshold]) return;
    const extra = ctx
      ? Object.entries(ctx)
          .map(([k, v]) => ` ${k}=${fmt(v)}`)
          .join('')
      : '';
    process.stderr.write(`${new Date().toISOString()} ${level} ${component}: ${msg}${extra}\n`);
  };
  return {
    debug: (m, c) => write('debug', m, c),
    info: (m, c) => write('info', m, c),
    warn: (m, c) => write('warn', m, c),
    error: (m, c) => write('error', m, c),
  };
}
