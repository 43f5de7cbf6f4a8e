import 'reflect-metadata';
import { buildProgram } from './cli/program';

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let code = 0;
  program.exitOverride((err) => {
    throw err;
  });
  program.setOptionValue('exitCode', 0);
  try {
    await program.parseAsync(argv);
    code = (program.getOptionValue('exitCode') as number | undefined) ?? 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (typeof e.exitCode === 'number' && e.code?.startsWith('commander.')) return e.exitCode;
    throw err;
  }
  return code;
}

// The library entry points load on first use, so the CLI's start-up (and a
// command such as `panoptes read` that needs none of them) does not pay for
// Nest, the plugins and their clients.
export type { PluginHost } from './runtime/plugin-host';
export type { loadConfigFile, parseConfig } from './config/config.loader';
export type { PLUGINS } from './plugins';
const lazy: Record<string, () => unknown> = {
  PluginHost: () => require('./runtime/plugin-host').PluginHost,
  loadConfigFile: () => require('./config/config.loader').loadConfigFile,
  parseConfig: () => require('./config/config.loader').parseConfig,
  PLUGINS: () => require('./plugins').PLUGINS,
};
for (const [name, get] of Object.entries(lazy)) Object.defineProperty(exports, name, { enumerable: true, get });
