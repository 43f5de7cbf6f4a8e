import {
  AnyPluginManifest,
  ConfigError,
  HandlerService,
  PluginContext,
  SourceService,
  validateConfig,
} from '@panoptes/plugin-sdk';

export interface PluginRun {
  /** Everything emitted, by output port. */
  readonly outputs: Record<string, unknown[]>;
  /** Everything rejected (dead-lettered), with its reason. */
  readonly rejected: { reason: string; payload: unknown }[];
  /** ctx.count / ctx.gauge values. */
  readonly counters: Record<string, number>;
}

export interface RunPluginOptions {
  /** Batches to feed, by input port (the first input port when an array is given). */
  readonly input?: unknown[][] | Record<string, unknown[][]>;
  /** The context's textOutput: emitted records leave as text (as over Kafka). */
  readonly textOutput?: boolean;
  /** Called after start and before the input is fed (e.g. to swap a file). */
  readonly afterStart?: (service: SourceService | HandlerService) => Promise<void>;
}

/**
 * Runs one plugin with a plain config the way the host would (validated,
 * started, fed, stopped), capturing what it emits. For plugin specs.
 */
export async function runPlugin(
  manifest: AnyPluginManifest,
  plain: unknown,
  options: RunPluginOptions = {},
): Promise<PluginRun> {
  const v = validateConfig(manifest.config, plain);
  if (!v.value) throw new ConfigError(v.issues);
  const outputs: Record<string, unknown[]> = {};
  const rejected: { reason: string; payload: unknown }[] = [];
  const counters: Record<string, number> = {};
  const outPorts = Object.keys(manifest.outputs ?? {});
  const inPorts = Object.keys(manifest.inputs ?? {});
  const ctx: PluginContext = {
    id: manifest.id,
    inputs: manifest.inputs ?? {},
    outputs: manifest.outputs ?? {},
    textOutput: options.textOutput,
    log: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
    emit: async (records, port = outPorts[0]) => {
      if (!outPorts.includes(port)) throw new Error(`no output port ${port}`);
      (outputs[port] ??= []).push(...records);
    },
    reject: async (reason, payload) => {
      rejected.push({ reason, payload });
    },
    count: (name, by = 1) => {
      counters[name] = (counters[name] ?? 0) + by;
    },
    gauge: (name, value) => {
      counters[name] = value;
    },
  };
  const service = manifest.create(v.value, ctx);
  await service.start();
  await options.afterStart?.(service);
  if (manifest.kind === 'source') {
    await (service as SourceService).done;
  } else {
    const input = options.input ?? [];
    const byPort = Array.isArray(input) ? { [inPorts[0]]: input } : input;
    for (const [port, batches] of Object.entries(byPort)) {
      for (const batch of batches) await (service as HandlerService).handle(batch, port);
    }
  }
  await service.stop();
  return { outputs, rejected, counters };
}
