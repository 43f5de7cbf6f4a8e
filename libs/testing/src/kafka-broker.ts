/**
 * A real Apache Kafka broker for tests, started by the tests themselves through
 * test/kafka/broker.sh (single-node KRaft on 127.0.0.1, jars from Maven Central,
 * no Docker). Jest's global set-up starts one for the whole run and exports its
 * bootstrap address as PANOPTES_TEST_KAFKA; a test that must stop the broker
 * (an outage test) starts a private one with startKafkaBroker().
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The environment variable that carries the shared test broker's bootstrap address. */
export const TEST_KAFKA_ENV = 'PANOPTES_TEST_KAFKA';

export interface KafkaBrokerOptions {
  /** State directory (config, data, logs); a fresh temporary one when omitted. */
  readonly dir?: string;
  /** The broker stops by itself when this process exits (defaults to the caller). */
  readonly ownerPid?: number;
  /** Fixed listener port; a free one when omitted. */
  readonly port?: number;
}

export class KafkaTestBroker {
  private running = true;

  constructor(
    /** host:port of the PLAINTEXT listener on 127.0.0.1. */
    readonly bootstrap: string,
    /** The state directory; kept across stop()/start() so the cluster keeps its data. */
    readonly dir: string,
    private readonly ownerPid: number,
    private readonly ownsDir: boolean,
  ) {}

  get brokers(): string[] {
    return [this.bootstrap];
  }

  /** Stops the broker cleanly; its data stays, so start() brings back the same cluster. */
  async stop(): Promise<void> {
    await brokerScript(['stop', '--dir', this.dir]);
    this.running = false;
  }

  /** Starts the broker again on the same port and data after stop(). */
  async start(): Promise<void> {
    const out = await brokerScript(['start', '--dir', this.dir, '--owner', String(this.ownerPid)]);
    const bootstrap = lastLine(out);
    if (bootstrap !== this.bootstrap) {
      throw new Error(`kafka test broker came back on ${bootstrap}, expected ${this.bootstrap}`);
    }
    this.running = true;
  }

  /** Stops the broker and removes its state directory if this helper created it. */
  async dispose(): Promise<void> {
    if (this.running) await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts a single-node broker and resolves once it serves clients. */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaTestBroker> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'panoptes-kafka-'));
  const ownerPid = options.ownerPid ?? process.pid;
  const args = ['start', '--dir', dir, '--owner', String(ownerPid)];
  if (options.port !== undefined) args.push('--port', String(options.port));
  const out = await brokerScript(args);
  return new KafkaTestBroker(lastLine(out), dir, ownerPid, ownsDir);
}

/** Resolves the broker jars into the cache (what the project's set-up runs once). */
export async function fetchKafkaBroker(): Promise<void> {
  await brokerScript(['fetch']);
}

/**
 * The shared test broker's bootstrap address, set by Jest's global set-up.
 * Throws with a hint rather than letting a Kafka test hang on a missing broker.
 */
export function testKafkaBrokers(): string[] {
  const value = process.env[TEST_KAFKA_ENV];
  if (!value) {
    throw new Error(
      `${TEST_KAFKA_ENV} is not set: run the tests through jest (its global set-up starts a broker) ` +
        'or start one with `bash test/kafka/broker.sh start` and export the address it prints',
    );
  }
  return value.split(',').map((s) => s.trim());
}

/** The path of test/kafka/broker.sh, found from this file both in src/ and in dist/. */
export function brokerScriptPath(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'test', 'kafka', 'broker.sh');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find test/kafka/broker.sh above ${__dirname}`);
    dir = parent;
  }
}

async function brokerScript(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [brokerScriptPath(), ...args], {
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`kafka test broker: broker.sh ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
  }
}

function lastLine(out: string): string {
  const lines = out.trim().split('\n');
  return lines[lines.length - 1].trim();
}

let prefixes = 0;

/** A topic (and group) prefix no other test of any run uses, so tests share one broker without seeing each other. */
export function uniqueKafkaPrefix(label = 't'): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${prefixes++}.`;
}
