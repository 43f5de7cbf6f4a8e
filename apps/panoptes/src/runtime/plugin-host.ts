import { hostname } from 'node:os';
import { Bus, BUS_TYPES, Subscription } from '@panoptes/bus';
import {
  ConfigError,
  ConfigIssue,
  errorMessage,
  HandlerService,
  isTextRecord,
  PluginContext,
  PluginError,
  PluginService,
  SourceService,
  textField,
  textInputOf,
  validateConfig,
} from '@panoptes/plugin-sdk';
import { LoadedConfig } from '../config/config.loader';
import { ResolvedInstance } from '../config/topic.graph';
import { createLogger } from './logger';
import { HostMetrics } from './metrics';
import { inputFilter } from './input.filter';
import { Serial } from './serial';

export type InstanceState = 'stopped' | 'running' | 'finished' | 'failed';

/** A running (or stopped) plugin instance, as the API shows it. */
export interface InstanceView {
  readonly id: string;
  readonly use: string;
  readonly kind: string;
  readonly state: InstanceState;
  readonly inputs: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
  readonly config: object;
  readonly error?: string;
  readonly stats: Record<string, number | string>;
}

interface Slot {
  inst: ResolvedInstance;
  state: InstanceState;
  error?: string;
  service?: PluginService;
  subs: Subscription[];
  counters: Record<string, number>;
}

const ORDER = { sink: 0, transform: 1, source: 2 } as const;
const log = createLogger('host');

const textUid = textField('uid');
const textClient = textField('client');

/** Record key for partitioning: the flow uid (a DNS answer's client), so one flow's records stay together. */
const recordKey = (r: unknown): string => {
  if (isTextRecord(r)) return textUid(r) ?? textClient(r) ?? '';
  const o = r as { uid?: unknown; client?: unknown };
  return typeof o.uid === 'string' ? o.uid : typeof o.client === 'string' ? o.client : '';
};

/**
 * Runs the plugin instances of a config on a bus: sinks first, sources last,
 * stopped in reverse with the bus drained in between so nothing a source
 * handed over is lost.
 */
export class PluginHost {
  readonly metrics: HostMetrics;
  private bus?: Bus;
  private readonly slots: Slot[];
  private started = false;

  constructor(
    readonly config: LoadedConfig,
    private readonly only?: readonly string[],
  ) {
    this.metrics = new HostMetrics(() => this.bus);
    const wanted = only ? new Set(only) : undefined;
    this.slots = config.instances
      .filter((i) => (wanted ? wanted.has(i.id) : true))
      .sort((a, b) => ORDER[a.manifest.kind] - ORDER[b.manifest.kind])
      .map((inst) => ({ inst, state: 'stopped' as InstanceState, subs: [], counters: {} }));
    if (wanted) {
      const missing = [...wanted].filter((id) => !config.instances.some((i) => i.id === id));
      if (missing.length)
        throw new ConfigError(missing.map((id) => ({ path: '--only', message: `no plugin instance "${id}"` })));
    }
  }

  get ready(): boolean {
    return this.started && this.slots.every((s) => s.state !== 'failed');
  }

  getBus(): Bus | undefined {
    return this.bus;
  }

  /** Read-only checks of every instance (files exist, databases open). */
  async preflight(): Promise<ConfigIssue[]> {
    const issues: ConfigIssue[] = [];
    for (const { inst } of this.slots) {
      if (!inst.manifest.preflight) continue;
      try {
        const found = await inst.manifest.preflight(inst.config);
        issues.push(...found.map((i) => ({ ...i, where: inst.where, path: `plugins[${inst.index}].with.${i.path}` })));
      } catch (err) {
        issues.push({ path: `plugins[${inst.index}]`, where: inst.where, message: errorMessage(err) });
      }
    }
    return issues;
  }

  /** Every selected source is finite (reads files), so the run can end by itself. */
  infiniteSources(): string[] {
    return this.slots
      .filter((s) => s.inst.manifest.kind === 'source' && s.inst.entry.enabled !== false)
      .filter((s) => !s.inst.manifest.finite?.(s.inst.config))
      .map((s) => s.inst.where);
  }

  async start(): Promise<void> {
    const busType = BUS_TYPES[this.config.bus.type];
    this.bus = busType.create(this.config.bus);
    await this.bus.start();
    for (const slot of this.slots) {
      if (slot.inst.entry.enabled === false) continue;
      await this.startSlot(slot);
    }
    this.started = true;
  }

  /** Resolves when every finite source has ended and everything it emitted has been handled. */
  async untilDone(): Promise<void> {
    const sources = this.slots.filter((s) => s.inst.manifest.kind === 'source' && s.service);
    await Promise.all(sources.map((s) => (s.service as SourceService).done));
    await this.bus?.drain();
  }

  async stop(): Promise<void> {
    // Sources first: whatever they already handed to the bus is drained before consumers stop.
    for (const kind of ['source', 'transform', 'sink'] as const) {
      for (const slot of this.slots.filter((s) => s.inst.manifest.kind === kind)) {
        if (kind !== 'source') await this.bus?.drain();
        await this.stopSlot(slot);
      }
    }
    await this.bus?.stop();
    this.started = false;
  }

  list(): InstanceView[] {
    return this.slots.map((s) => this.view(s));
  }

  get(id: string): InstanceView | undefined {
    const s = this.slots.find((x) => x.inst.id === id);
    return s && this.view(s);
  }

  async startInstance(id: string): Promise<InstanceView> {
    const slot = this.slot(id);
    if (slot.state !== 'running') await this.startSlot(slot);
    return this.view(slot);
  }

  async stopInstance(id: string): Promise<InstanceView> {
    const slot = this.slot(id);
    await this.stopSlot(slot);
    return this.view(slot);
  }

  /**
   * Validates a new config for one instance and applies it without restarting
   * the host: through the plugin's reconfigure() when it has one, else by
   * restarting that instance. A bad config throws ConfigError and changes nothing.
   */
  async reconfigure(id: string, plain: unknown): Promise<InstanceView> {
    const slot = this.slot(id);
    const { inst } = slot;
    const r = validateConfig(inst.manifest.config, plain, `plugins[${inst.index}].with`);
    if (!r.value) throw new ConfigError(r.issues.map((i) => ({ ...i, where: inst.where })));
    const pre = inst.manifest.preflight ? await inst.manifest.preflight(r.value) : [];
    if (pre.length)
      throw new ConfigError(
        pre.map((i) => ({ ...i, where: inst.where, path: `plugins[${inst.index}].with.${i.path}` })),
      );
    if (slot.state === 'running' && slot.service?.reconfigure) {
      await slot.service.reconfigure(r.value);
      inst.config = r.value;
    } else {
      const wasRunning = slot.state === 'running';
      if (wasRunning) await this.stopSlot(slot);
      inst.config = r.value;
      if (wasRunning) await this.startSlot(slot);
    }
    log.info('plugin reconfigured', { plugin: id });
    return this.view(slot);
  }

  private slot(id: string): Slot {
    const s = this.slots.find((x) => x.inst.id === id);
    if (!s) throw new Error(`no plugin instance "${id}"`);
    return s;
  }

  private view(s: Slot): InstanceView {
    return {
      id: s.inst.id,
      use: s.inst.manifest.id,
      kind: s.inst.manifest.kind,
      state: s.state,
      inputs: s.inst.inputs,
      outputs: s.inst.outputs,
      config: s.inst.config,
      error: s.error,
      stats: { ...s.counters, ...(s.service?.stats?.() ?? {}) },
    };
  }

  private context(slot: Slot): PluginContext {
    const { inst } = slot;
    const bus = () => {
      if (!this.bus) throw new Error('bus not started');
      return this.bus;
    };
    const firstOut = Object.keys(inst.outputs)[0];
    const firstIn = Object.keys(inst.inputs)[0];
    const m = this.metrics;
    return {
      id: inst.id,
      inputs: inst.inputs,
      outputs: inst.outputs,
      log: createLogger(inst.id),
      // The Kafka bus encodes what is published and delivers only what it fetched back.
      textOutput: this.bus?.type === 'kafka',
      // Not an async function, which would hold the records while the bus waits for the broker
      // (see KafkaBus.publish); the executor still turns a throw into a rejection.
      emit: (records, port = firstOut) => {
        const n = records.length;
        return new Promise<void>((resolve) => {
          const topic = inst.outputs[port];
          if (!topic) throw new Error(`plugin ${inst.id} has no output "${port}"`);
          resolve(n === 0 ? undefined : bus().publish(topic, records, recordKey));
        }).then(() => {
          if (n > 0) m.recordsOut.inc({ plugin: inst.id, port }, n);
        });
      },
      reject: async (reason, payload, port = firstIn ?? firstOut) => {
        m.errors.inc({ plugin: inst.id, reason: reason.split(':')[0].slice(0, 60) });
        slot.counters.rejected = (slot.counters.rejected ?? 0) + 1;
        await bus().deadLetter({
          topic: inst.inputs[port] ?? inst.outputs[port] ?? inst.id,
          reason: `${inst.id}: ${reason}`,
          payload,
        });
      },
      count: (name, by = 1) => {
        slot.counters[name] = (slot.counters[name] ?? 0) + by;
        m.events.inc({ plugin: inst.id, name }, by);
      },
      gauge: (name, value) => {
        slot.counters[name] = value;
        m.values.set({ plugin: inst.id, name }, value);
      },
    };
  }

  private async startSlot(slot: Slot): Promise<void> {
    const { inst } = slot;
    const ctx = this.context(slot);
    let started = false;
    try {
      const service = inst.manifest.create(inst.config, ctx);
      slot.service = service;
      // Started before it is subscribed: over Kafka a backlog is delivered as
      // soon as the subscription joins, and a handler that is not started yet
      // would refuse (and dead-letter) it.
      await service.start();
      started = true;
      if (inst.manifest.kind !== 'source') {
        const handler = service as HandlerService;
        const mainPort = Object.keys(inst.inputs)[0];
        for (const [port, topic] of Object.entries(inst.inputs)) {
          // The instance's filter is over flow records: it applies to the main
          // input only (enrich-dns's second input carries DNS answers).
          const filter = port === mainPort ? inputFilter(inst.entry.filter) : undefined;
          // A broadcast input is read whole by every replica: its own group per process.
          const group = inst.manifest.broadcastInputs?.includes(port)
            ? `${inst.id}.${hostname()}.${process.pid}`
            : inst.id;
          const text = port === mainPort && !filter ? textInputOf(inst.manifest.textInput?.(inst.config)) : undefined;
          // Over Kafka several partitions of a topic are consumed at once; a plugin that does not
          // declare its handle() safe for that gets one call at a time per input. (Inputs stay
          // independent: enrich-dns's flows wait for its DNS answers to catch up.)
          const serial = inst.manifest.concurrentHandle ? undefined : new Serial();
          slot.subs.push(
            await this.bus!.subscribe<unknown>(topic, { group, id: inst.id, text }, async (records) => {
              this.metrics.recordsIn.inc({ plugin: inst.id, port }, records.length);
              const batch = filter ? records.filter(filter) : records;
              if (batch.length === 0) return;
              try {
                if (serial) await serial.run(() => handler.handle(batch, port));
                else await handler.handle(batch, port);
              } catch (err) {
                this.metrics.errors.inc({ plugin: inst.id, reason: 'handler' });
                ctx.log.error('batch failed', { port, records: batch.length, error: errorMessage(err) });
                throw err;
              }
            }),
          );
        }
      }
      slot.state = 'running';
      slot.error = undefined;
      this.metrics.up.set({ plugin: inst.id }, 1);
      const done = (service as SourceService).done;
      if (inst.manifest.kind === 'source' && done) {
        done.then(
          () => {
            if (slot.state === 'running') slot.state = 'finished';
            log.info('source finished', { plugin: inst.id });
          },
          (err) => {
            slot.state = 'failed';
            slot.error = errorMessage(err);
            log.error('source failed', { plugin: inst.id, error: slot.error });
          },
        );
      }
      log.info('plugin started', { plugin: inst.id, use: inst.manifest.id });
    } catch (err) {
      slot.state = 'failed';
      slot.error = errorMessage(err);
      for (const s of slot.subs.splice(0)) await s.close();
      if (started) await slot.service?.stop().catch(() => undefined);
      throw new PluginError(`cannot start ${inst.where}`, err);
    }
  }

  private async stopSlot(slot: Slot): Promise<void> {
    if (!slot.service || slot.state === 'stopped') return;
    for (const s of slot.subs.splice(0)) await s.close();
    try {
      await slot.service.stop();
      if (slot.state !== 'failed') slot.state = 'stopped';
    } catch (err) {
      slot.state = 'failed';
      slot.error = errorMessage(err);
      log.error('plugin stop failed', { plugin: slot.inst.id, error: slot.error });
    }
    this.metrics.up.set({ plugin: slot.inst.id }, 0);
    log.info('plugin stopped', { plugin: slot.inst.id, ...slot.counters, ...(slot.service.stats?.() ?? {}) });
  }
}
