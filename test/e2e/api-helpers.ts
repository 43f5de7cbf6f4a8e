/* eslint-disable @typescript-eslint/no-explicit-any -- the JSON bodies of the API under test */
/**
 * Shared by the api-*.e2e.ts tests: boots the built host (`panoptes run`)
 * with a config, and calls its REST API over real HTTP with a key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowRecord } from '@panoptes/flow';
import { genPcap, PanoptesProcess, recordsOf, spawnPanoptes, TruthFlow } from '@panoptes/testing';

export const ADMIN_KEY = 'e2e-admin-0123456789abcdef';
export const READ_KEY = 'e2e-read-0123456789abcdef';

export interface RunningHost {
  readonly url: string;
  readonly dir: string;
  readonly proc: PanoptesProcess;
  /** GET (or another method) with a key; returns status and parsed JSON (or text). */
  call(
    path: string,
    opts?: { key?: string | null; method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<number>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `config` (YAML, `${dir}` replaced) and runs it until stop(). */
export async function startHost(config: string, dir: string, env: Record<string, string> = {}): Promise<RunningHost> {
  const file = join(dir, 'panoptes.yaml');
  writeFileSync(file, config.replace(/\$\{dir\}/g, dir));
  const proc = spawnPanoptes(['run', '-c', file], env);
  const url = await proc.apiUrl();
  const call: RunningHost['call'] = async (path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const key = opts.key === undefined ? READ_KEY : opts.key;
    if (key !== null) headers.Authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(`${url}${path}`, { method: opts.method ?? 'GET', headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    url,
    dir,
    proc,
    call,
    stop: async () => {
      proc.kill('SIGTERM');
      return proc.exited;
    },
  };
}

export function apiSection(extra = ''): string {
  return `api: { listen: "127.0.0.1:0", keys: { admin: [${ADMIN_KEY}], read: [${READ_KEY}] }${extra} }`;
}

/** gen-pcap ground truth and the flow records made from it. */
export function truthFlows(args: Record<string, number>): {
  truth: TruthFlow[];
  records: FlowRecord[];
  pcap: string;
} {
  const cap = genPcap(args);
  const truth = cap.truth();
  return { truth, records: truth.flatMap(recordsOf), pcap: cap.pcap };
}

export function writeJsonl(path: string, records: readonly object[]): string {
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

/** Polls until fn returns a truthy value (bounded). */
export async function until<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The host most API tests need: source-jsonl replays `records` into sink-store
 * (plus any `extraPlugins` lines), and the call resolves once `flows` merged
 * flows are stored.
 */
export async function startReplayStore(
  dir: string,
  records: readonly object[],
  flows: number,
  { api = apiSection(), batchSize = 1000, extraPlugins = '' } = {},
): Promise<RunningHost> {
  const input = writeJsonl(join(dir, 'flows.jsonl'), records);
  const host = await startHost(
    `${api}
plugins:
  - { id: replay, use: source-jsonl, output: flows.raw, with: { path: ${input}, batchSize: ${batchSize} } }
  - { id: store, use: sink-store, input: flows.raw, with: { path: \${dir}/flows.duckdb } }
${extraPlugins}`,
    dir,
  );
  await host.proc.waitFor(/source finished plugin=replay/);
  await until(
    async () => (await host.call('/api/v1/flows/aggregate?metrics=count')).body.groups?.[0]?.count === flows,
    `${flows} flows stored`,
  );
  return host;
}
