import { ConfigClass } from './config.validation';
import { ConfigIssue } from './errors';

export type PluginKind = 'source' | 'transform' | 'sink';

/** Named topics of a plugin instance: port name → topic. */
export type Ports = Readonly<Record<string, string>>;

/** A log that writes lowercase messages with structured context last. */
export interface PluginLogger {
  info(msg: string, ctx?: Record<string, unknown>): void;
  warn(msg: string, ctx?: Record<string, unknown>): void;
  error(msg: string, ctx?: Record<string, unknown>): void;
  debug(msg: string, ctx?: Record<string, unknown>): void;
}

/**
 * What the host gives a plugin instance: its identity, its topics, a way to
 * emit, and counters. Emitting is the only way out of a plugin; it resolves
 * when the bus has accepted the batch, so awaiting it is back-pressure.
 */
export interface PluginContext {
  readonly id: string;
  readonly inputs: Ports;
  readonly outputs: Ports;
  readonly log: PluginLogger;
  /** Publishes records on an output port (the first declared output when omitted). */
  emit<T>(records: T[], port?: string): Promise<void>;
  /**
   * Emitted records leave the process as JSON text (the Kafka bus) and no
   * plugin here receives them as objects: a plugin may then emit text
   * records (see isTextRecord) rather than parse what it only passes on.
   */
  readonly textOutput?: boolean;
  /** Sends records that cannot be processed to the dead-letter topic with a reason, and counts them. */
  reject(reason: string, payload: unknown, port?: string): Promise<void>;
  /** Adds to a named counter of this instance (shown in /metrics and the API). */
  count(name: string, by?: number): void;
  /** Sets a named gauge of this instance. */
  gauge(name: string, value: number): void;
}

/** How a subscriber takes text records (see isTextRecord). */
export interface TextInput {
  /**
   * A line holding one of these top-level keys reaches the handler parsed,
   * never as text: a transform that appends these keys to a text record
   * then knows it does not hold them already (checked natively with the
   * rest of the line).
   */
  readonly parseIfKeys?: readonly string[];
}

/** A manifest's textInput answer as a bus takes it: undefined for objects, {} for plain text records. */
export function textInputOf(answer: boolean | TextInput | undefined): TextInput | undefined {
  return answer === true ? {} : answer || undefined;
}

/** Common to every plugin service: constructed inert, started, stopped. */
export interface PluginService {
  /** Opens files, sockets, clients. */
  start(): Promise<void>;
  /** Undoes exactly what start() did, flushing what it holds. */
  stop(): Promise<void>;
  /** Applies a new, already validated config without a restart, when supported. */
  reconfigure?(config: object): Promise<void>;
  /** Plugin-specific figures for the API. */
  stats?(): Record<string, number | string>;
}

export interface SourceService extends PluginService {
  /**
   * For finite sources (files): resolves when everything has been emitted.
   * Undefined for sources that run until stopped.
   */
  readonly done?: Promise<void>;
}

export interface HandlerService extends PluginService {
  /** Handles one batch from an input port; resolves after anything it emitted was accepted. */
  handle(records: unknown[], port: string): Promise<void>;
}

export type TransformService = HandlerService;
export type SinkService = HandlerService;

export interface PluginManifest<C extends object = object, K extends PluginKind = PluginKind> {
  /** Kebab-case, equal to the folder name under plugins/. */
  readonly id: string;
  readonly kind: K;
  /** One line. */
  readonly description: string;
  /** Default input topics by port (transforms and sinks). The first is the main one. */
  readonly inputs?: Ports;
  /** Default output topics by port (sources and transforms). The first is the main one. */
  readonly outputs?: Ports;
  /**
   * Input ports every replica must read in full (reference data such as DNS
   * answers), not split between the replicas of a consumer group: each
   * process subscribes to them with a group of its own.
   */
  readonly broadcastInputs?: readonly string[];
  /** The config class; validated with class-validator, unknown keys refused. */
  readonly config: ConfigClass<C>;
  /**
   * Checks that need read-only I/O (a file exists, a database opens), run by
   * `panoptes run --check` and before start. Returns issues with paths
   * relative to the config.
   */
  preflight?(config: C): Promise<ConfigIssue[]>;
  /**
   * Whether an instance with this config takes text records on its main
   * input (see isTextRecord): over Kafka, each line checked natively to be a
   * canonical flat JSON object then reaches handle() as that string, unparsed,
   * and other lines as parsed objects. For plugins that write the text (a
   * JSON sink) or read a few fields off it (textField). Not used when the
   * instance has a filter, which reads fields. A TextInput answer names keys
   * whose lines still reach handle() parsed (see TextInput).
   */
  textInput?(config: C): boolean | TextInput;
  /**
   * handle() may run for several partitions of one input at once (over
   * Kafka): no state it keeps can be left half-changed across an await.
   * Otherwise the host makes the calls for one input wait for each other
   * (calls for different inputs may overlap, as they always could).
   */
  readonly concurrentHandle?: boolean;
  /** Whether this source ends by itself (a file), given its config. */
  finite?(config: C): boolean;
  /** Makes the service. Must do no I/O: start() does. */
  create(config: C, ctx: PluginContext): K extends 'source' ? SourceService : HandlerService;
}

export type AnyPluginManifest = PluginManifest<any, PluginKind>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Declares a plugin. Checks the manifest's shape once, at load time. */
export function definePlugin<C extends object, K extends PluginKind>(m: PluginManifest<C, K>): PluginManifest<C, K> {
  if (!/^[a-z][a-z0-9-]*$/.test(m.id)) throw new Error(`plugin id must be kebab-case: ${m.id}`);
  if (m.kind !== 'source' && !m.inputs) throw new Error(`plugin ${m.id}: a ${m.kind} declares its inputs`);
  if (m.kind !== 'sink' && !m.outputs) throw new Error(`plugin ${m.id}: a ${m.kind} declares its outputs`);
  return m;
}
