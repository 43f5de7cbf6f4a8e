import { Command } from 'commander';
import type { LoadedConfig } from '../config/config.loader';
import type { PluginHost } from '../runtime/plugin-host';
import { createLogger } from '../runtime/logger';
import { setExitCode } from './program';

interface RunOptions {
  config?: string;
  check?: boolean;
  untilDone?: boolean;
  only?: string;
}

const log = createLogger('run');

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('load the plugins named in a YAML config and run them')
    .option('-c, --config <file>', 'config file (default: $PANOPTES_CONFIG)')
    .option('--check', 'validate the config (and open files/databases it names), print every error, exit 1 if any')
    .option('--until-done', 'exit 0 once every source (all must be files) has ended and the pipeline is drained')
    .option('--only <ids>', 'run only these plugin instances (comma-separated), e.g. one role of a Kafka deployment')
    .action(async (opts: RunOptions, cmd: Command) => setExitCode(cmd, await run(opts)));
}

async function run(opts: RunOptions): Promise<number> {
  const file = opts.config ?? process.env.PANOPTES_CONFIG;
  if (!file) {
    process.stderr.write('panoptes run: no config: pass -c FILE or set PANOPTES_CONFIG\n');
    return 1;
  }
  // Loaded here, not at the top: other commands (`panoptes read`) start without Nest and the plugins.
  const { ConfigError, formatIssue } = await import('@panoptes/plugin-sdk');
  const { loadConfigFile } = await import('../config/config.loader');
  const { PluginHost } = await import('../runtime/plugin-host');
  let config: LoadedConfig;
  let host: PluginHost;
  try {
    config = await loadConfigFile(file);
    const only = opts.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    host = new PluginHost(config, only);
    const issues = await host.preflight();
    if (issues.length) throw new ConfigError(issues);
    if (opts.untilDone) {
      const infinite = host.infiniteSources();
      if (infinite.length) {
        throw new ConfigError(
          infinite.map((w) => ({ path: '', message: `${w}: --until-done needs every source to be finite (a file)` })),
        );
      }
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${file}: ${err.issues.length} error${err.issues.length === 1 ? '' : 's'}\n`);
      for (const i of err.issues) process.stderr.write(`  ${formatIssue(i)}\n`);
      return 1;
    }
    throw err;
  }
  if (opts.check) {
    process.stdout.write(`${file}: ok (${config.instances.length} plugin instances)\n`);
    return 0;
  }
  return serve(host, config, !!opts.untilDone);
}

async function serve(host: PluginHost, config: LoadedConfig, untilDone: boolean): Promise<number> {
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  // Nest, Express and the microservices transport take most of a second to load: only a
  // process that serves the API or answers remote management loads them.
  const api = config.raw.api.enabled
    ? await (await import('../api/api.server')).startApi(host, config.raw.api)
    : undefined;
  let control: { stop(): Promise<void> } | undefined;
  try {
    await host.start();
    // On the Kafka bus a long-running process answers remote management over the control topic.
    if (!untilDone && config.bus.type === 'kafka') {
      control = await (await import('../runtime/remote-control')).startControl(host, config.bus);
    }
    const why = await (untilDone
      ? Promise.race([host.untilDone().then(() => 'sources finished'), signalled])
      : signalled);
    log.info('stopping', { why });
    await control?.stop();
    return (await stopAll(host, api)) ? 1 : 0;
  } catch (err) {
    log.error('run failed', { error: (err as Error).message });
    await control?.stop().catch(() => undefined);
    await stopAll(host, api).catch(() => undefined);
    return 1;
  }
}

/** Stops sources first and drains; resolves true when any instance failed. */
async function stopAll(host: PluginHost, api?: { close(): Promise<void> }): Promise<boolean> {
  await host.stop();
  await api?.close();
  return host.list().some((i) => i.state === 'failed');
}
