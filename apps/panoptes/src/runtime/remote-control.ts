/**
 * Remote management of plugin workers over a Kafka control topic, with the
 * Kafka transport of @nestjs/microservices. Every `panoptes run` on the Kafka
 * bus is a worker: it listens on `<prefix>panoptes.control.command` in a
 * consumer group of its own (so every worker hears every command) and answers
 * on `<prefix>panoptes.control.announce`. A manager (the host's management
 * API) sends a command and gathers the answers: `list` from every worker,
 * the other actions from the worker that runs the instance.
 *
 * Commands and answers are events rather than Nest request/reply, because one
 * command is answered by several workers and request/reply keeps only the first.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { lastValueFrom } from 'rxjs';
import { ClientKafka, KafkaOptions, ServerKafka } from '@nestjs/microservices';
import { Kafka, logLevel } from 'kafkajs';
import { errorMessage } from '@panoptes/plugin-sdk';
import { InstanceView, PluginHost } from './plugin-host';
import { createLogger } from './logger';

export type ControlAction = 'list' | 'inspect' | 'start' | 'stop' | 'reconfigure';

export interface ControlCommand {
  readonly requestId: string;
  readonly action: ControlAction;
  /** The plugin instance id (every action but list). */
  readonly instance?: string;
  /** The instance's new `with:` (reconfigure). */
  readonly config?: unknown;
}

/** One worker's answer to a command, or its periodic announcement (no requestId). */
export interface WorkerAnswer {
  readonly worker: string;
  readonly hostname: string;
  readonly pid: number;
  readonly requestId?: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly instances: InstanceView[];
}

/** What the management API needs to steer plugin instances in other processes. */
export interface RemotePlugins {
  /** Every worker that answers within the wait, with its instances. */
  list(): Promise<WorkerAnswer[]>;
  /** Runs an action on the worker that has the instance; rejects with the worker's error, or when no worker has it. */
  command(action: Exclude<ControlAction, 'list'>, instance: string, config?: unknown): Promise<InstanceView>;
}

export interface ControlOptions {
  readonly brokers: string[];
  /** The bus's topicPrefix and groupPrefix, so a deployment's control traffic stays its own. */
  readonly topicPrefix: string;
  readonly groupPrefix: string;
}

const log = createLogger('control');
const topics = (o: ControlOptions) => ({
  command: `${o.topicPrefix}panoptes.control.command`,
  announce: `${o.topicPrefix}panoptes.control.announce`,
});

function server(
  o: ControlOptions,
  group: string,
  topic: string,
  onMessage: (data: unknown) => Promise<void>,
  closed: () => boolean,
): ServerKafka {
  const options: KafkaOptions['options'] = {
    client: { clientId: `panoptes-${group}`, brokers: o.brokers, logLevel: logLevel.NOTHING },
    // kafkajs restarts a crashed consumer on a timer, even one that crashed while closing (a broker
    // outage); a restart after close would keep the process alive, so none once closed.
    consumer: {
      groupId: `${o.groupPrefix}${group}`,
      allowAutoTopicCreation: true,
      retry: { restartOnFailure: async () => !closed() },
    },
    postfixId: '',
  };
  const s = new ServerKafka(options!);
  s.addHandler(topic, async (data: unknown) => onMessage(data), true);
  return s;
}

function client(o: ControlOptions, id: string): ClientKafka {
  return new ClientKafka({
    client: { clientId: `panoptes-${id}`, brokers: o.brokers, logLevel: logLevel.NOTHING },
    producer: { allowAutoTopicCreation: true },
    producerOnlyMode: true,
    postfixId: '',
  });
}

async function listen(s: ServerKafka): Promise<void> {
  await new Promise<void>((resolve, reject) => void s.listen((err?: unknown) => (err ? reject(err) : resolve())));
}

/** The worker side: answers control commands for the instances this process runs. */
export class ControlWorker {
  readonly id = `${hostname()}-${process.pid}`;
  private server?: ServerKafka;
  private client?: ClientKafka;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly host: PluginHost,
    private readonly options: ControlOptions,
    /** How often the worker announces itself unasked. */
    private readonly announceEveryMs = 10_000,
  ) {}

  async start(): Promise<void> {
    const t = topics(this.options);
    this.client = client(this.options, `worker-${this.id}`);
    await this.client.connect();
    this.server = server(
      this.options,
      `control-${this.id}`,
      t.command,
      (data) => this.onCommand(data as ControlCommand),
      () => this.closed,
    );
    await listen(this.server);
    await this.answer({ ok: true });
    this.timer = setInterval(() => void this.answer({ ok: true }).catch(() => undefined), this.announceEveryMs);
    this.timer.unref();
    log.info('control worker listening', { worker: this.id, topic: t.command });
  }

  private async onCommand(cmd: ControlCommand): Promise<void> {
    if (!cmd || typeof cmd.requestId !== 'string') return;
    if (cmd.action === 'list') return this.answer({ ok: true, requestId: cmd.requestId });
    // Only the worker that runs the instance answers; the others stay silent.
    if (!cmd.instance || !this.host.get(cmd.instance)) return;
    try {
      if (cmd.action === 'start') await this.host.startInstance(cmd.instance);
      else if (cmd.action === 'stop') await this.host.stopInstance(cmd.instance);
      else if (cmd.action === 'reconfigure') await this.host.reconfigure(cmd.instance, cmd.config);
      else if (cmd.action !== 'inspect') throw new Error(`unknown action ${JSON.stringify(cmd.action)}`);
      await this.answer({ ok: true, requestId: cmd.requestId });
    } catch (err) {
      await this.answer({ ok: false, requestId: cmd.requestId, error: errorMessage(err) });
    }
  }

  private async answer(a: { ok: boolean; requestId?: string; error?: string }): Promise<void> {
    const body: WorkerAnswer = {
      worker: this.id,
      hostname: hostname(),
      pid: process.pid,
      instances: this.host.list(),
      ...a,
    };
    await lastValueFrom(this.client!.emit(topics(this.options).announce, body));
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.server?.close();
    await this.client?.close();
  }
}

/** The manager side: sends commands and gathers the workers' answers. */
export class RemoteWorkers implements RemotePlugins {
  private readonly id = `manager-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private server?: ServerKafka;
  private client?: ClientKafka;
  private readonly waiting = new Map<string, (a: WorkerAnswer) => void>();
  private closed = false;

  constructor(
    private readonly options: ControlOptions,
    /** How long list() gathers answers. */
    private readonly listWaitMs = 1_500,
    /** How long a command waits for the worker that has the instance. */
    private readonly commandTimeoutMs = 15_000,
  ) {}

  async start(): Promise<void> {
    const t = topics(this.options);
    this.client = client(this.options, this.id);
    await this.client.connect();
    this.server = server(
      this.options,
      this.id,
      t.announce,
      async (data) => {
        const a = data as WorkerAnswer;
        if (a && a.requestId) this.waiting.get(a.requestId)?.(a);
      },
      () => this.closed,
    );
    await listen(this.server);
  }

  async list(): Promise<WorkerAnswer[]> {
    const got = new Map<string, WorkerAnswer>();
    const requestId = randomUUID();
    this.waiting.set(requestId, (a) => got.set(a.worker, a));
    try {
      await this.send({ requestId, action: 'list' });
      await new Promise((r) => setTimeout(r, this.listWaitMs));
    } finally {
      this.waiting.delete(requestId);
    }
    return [...got.values()].sort((a, b) => a.worker.localeCompare(b.worker));
  }

  async command(action: Exclude<ControlAction, 'list'>, instance: string, config?: unknown): Promise<InstanceView> {
    const requestId = randomUUID();
    const answer = new Promise<WorkerAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(
          new Error(`no worker runs plugin instance "${instance}" (no answer within ${this.commandTimeoutMs} ms)`),
        );
      }, this.commandTimeoutMs);
      this.waiting.set(requestId, (a) => {
        clearTimeout(timer);
        this.waiting.delete(requestId);
        resolve(a);
      });
    });
    await this.send({ requestId, action, instance, config });
    const a = await answer;
    if (!a.ok) throw new Error(`${a.worker}: ${a.error}`);
    const view = a.instances.find((i) => i.id === instance);
    if (!view) throw new Error(`${a.worker}: no plugin instance "${instance}"`);
    return view;
  }

  private async send(cmd: ControlCommand): Promise<void> {
    await lastValueFrom(this.client!.emit(topics(this.options).command, cmd));
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.server?.close();
    await this.client?.close();
  }
}

/** Creates the two control topics (one partition: commands stay in order) unless they exist. */
export async function createControlTopics(o: ControlOptions): Promise<void> {
  const admin = new Kafka({
    clientId: 'panoptes-control-admin',
    brokers: o.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const t = topics(o);
    await admin
      .createTopics({
        topics: [
          { topic: t.command, numPartitions: 1 },
          { topic: t.announce, numPartitions: 1 },
        ],
        waitForLeaders: true,
      })
      .catch((err: Error) => {
        if (!/already exists/i.test(err.message)) throw err;
      });
  } finally {
    await admin.disconnect();
  }
}

const managers = new WeakMap<PluginHost, RemotePlugins>();

/** The remote side of a host's management API: undefined on the embedded bus (everything is local). */
export function remotePluginsOf(host: PluginHost): RemotePlugins | undefined {
  return managers.get(host);
}

/** First wait before the control channel is tried again, and the longest. */
const CONTROL_RETRY_FIRST_MS = 1_000;
const CONTROL_RETRY_MAX_MS = 30_000;

/**
 * Makes a host on the Kafka bus a worker that answers control commands, and
 * gives its management API a RemoteWorkers to reach the others. Nothing on the
 * embedded bus. A control channel that cannot start is logged, not fatal: the
 * data plane does not depend on it. It is tried again, the wait doubling up
 * to 30 s, until it starts or the host stops: a broker still starting, or a
 * control topic created a moment ago and not yet served ("does not host this
 * topic-partition"), must not leave a worker unreachable for good.
 */
export async function startControl(
  host: PluginHost,
  bus: { type: string } & Record<string, unknown>,
  retryFirstMs = CONTROL_RETRY_FIRST_MS,
): Promise<{ stop(): Promise<void> } | undefined> {
  if (bus.type !== 'kafka') return undefined;
  const options: ControlOptions = {
    brokers: bus.brokers as string[],
    topicPrefix: (bus.topicPrefix as string | undefined) ?? '',
    groupPrefix: (bus.groupPrefix as string | undefined) ?? 'panoptes.',
  };
  let worker: ControlWorker | undefined;
  let manager: RemoteWorkers | undefined;
  let stopping = false;
  let retry: NodeJS.Timeout | undefined;
  let waitMs = retryFirstMs;
  const attempt = async (): Promise<void> => {
    const w = (worker = new ControlWorker(host, options));
    const m = (manager = new RemoteWorkers(options));
    try {
      await createControlTopics(options);
      await Promise.all([w.start(), m.start()]);
      // A stop while a retry was starting found these only half started.
      if (stopping) await Promise.allSettled([w.stop(), m.stop()]);
      else managers.set(host, m);
    } catch (err) {
      await Promise.allSettled([w.stop(), m.stop()]);
      if (stopping) return;
      log.error('control channel not available; trying again', { error: errorMessage(err), inMs: waitMs });
      retry = setTimeout(() => void attempt(), waitMs);
      retry.unref();
      waitMs = Math.min(waitMs * 2, CONTROL_RETRY_MAX_MS);
    }
  };
  await attempt();
  return {
    stop: async () => {
      stopping = true;
      clearTimeout(retry);
      managers.delete(host);
      // A Kafka client caught mid-reconnect (after a broker outage) can take its time to leave;
      // shutting down must not wait on the control channel.
      const stopped = Promise.allSettled([worker?.stop(), manager?.stop()]);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((r) => (timer = setTimeout(() => r('late'), 5_000)));
      if ((await Promise.race([stopped.then(() => 'ok'), late])) === 'late')
        log.warn('control channel did not close within 5 s, leaving it');
      clearTimeout(timer);
    },
  };
}
