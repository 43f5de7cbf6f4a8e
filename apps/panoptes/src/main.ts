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

export { PluginHost } from './runtime/plugin-host';
export { loadConfigFile, parseConfig } from './config/config.loader';
export { PLUGINS } from './plugins';
