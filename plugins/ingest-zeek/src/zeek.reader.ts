import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { basename, join } from 'node:path';
import { DnsAnswer, FlowRecord } from '@panoptes/flow';
import { connToFlow } from './zeek.conn';
import { dnsToAnswer } from './zeek.dns';
import { ZeekLogParser, ZeekRow } from './zeek.parser';

/** What one line of a Zeek log turned into. */
export type ZeekItem =
  | { readonly kind: 'flow'; readonly record: FlowRecord; readonly file: string; readonly line: number }
  | { readonly kind: 'dns'; readonly answer: DnsAnswer; readonly file: string; readonly line: number }
  | { readonly kind: 'unanswered'; readonly file: string; readonly line: number }
  | {
      readonly kind: 'error';
      readonly file: string;
      readonly line: number;
      readonly reason: string;
      readonly text: string;
    };

export interface ReadOptions {
  /** Names the input on every record (the sid field). */
  readonly sid: string;
  /** Keep reading as the file grows (tail -F); a file that shrinks was rotated and is read from the start. */
  readonly follow?: boolean;
  /** How often a followed file is checked for new data. */
  readonly pollIntervalMs?: number;
  /** Stops a followed read. */
  readonly signal?: AbortSignal;
}

/** A gzipped (archived, so complete) log: read once, never followed. A corrupt archive rejects like an I/O error. */
async function readGzipped(file: string, opts: ReadOptions, onItem: (item: ZeekItem) => Promise<void>): Promise<void> {
  const parser = new ZeekLogParser();
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of createReadStream(file).pipe(createGunzip())) {
    if (opts.signal?.aborted) return;
    const lines = (rest + decoder.decode(chunk as Buffer, { stream: true })).split('\n');
    rest = lines.pop()!;
    for (const text of lines) {
      const item = toItem(parser, text, file, opts.sid);
      if (item) await onItem(item);
    }
  }
  rest += decoder.decode();
  if (rest !== '') {
    const item = toItem(parser, rest, file, opts.sid);
    if (item) await onItem(item);
  }
}

/** Files of a directory that are conn or dns logs (Zeek's own names, rotated ones included). */
export const ZEEK_LOG_NAME = /^(conn|open_conn|dns).*\.(log|json|jsonl)(\.gz)?$/;

function logKind(path: string | undefined, row: ZeekRow): 'conn' | 'dns' | undefined {
  if (path === 'conn' || path === 'open_conn') return 'conn';
  if (path === 'dns') return 'dns';
  // Renamed or custom paths (conntimelast, a site's own name): go by the fields.
  if ('conn_state' in row || 'orig_pkts' in row) return 'conn';
  if ('query' in row || 'qtype' in row) return 'dns';
  return undefined;
}

function toItem(parser: ZeekLogParser, text: string, file: string, sid: string): ZeekItem | undefined {
  const p = parser.parse(text);
  if (p.kind === 'skip') return undefined;
  const snippet = text.length > 300 ? text.slice(0, 300) + '...' : text;
  if (p.kind === 'error') return { kind: 'error', file, line: p.line, reason: p.reason, text: snippet };
  const kind = logKind(p.path, p.row);
  if (kind === 'conn') {
    const r = connToFlow(p.row, sid);
    return 'record' in r
      ? { kind: 'flow', record: r.record, file, line: p.line }
      : { kind: 'error', file, line: p.line, reason: r.problem, text: snippet };
  }
  if (kind === 'dns') {
    const r = dnsToAnswer(p.row, sid);
    if ('answer' in r) return { kind: 'dns', answer: r.answer, file, line: p.line };
    if ('unanswered' in r) return { kind: 'unanswered', file, line: p.line };
    return { kind: 'error', file, line: p.line, reason: r.problem, text: snippet };
  }
  const what = p.path ? `#path ${p.path}` : 'fields match neither';
  return { kind: 'error', file, line: p.line, reason: `not a conn or dns log row (${what})`, text: snippet };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Reads one Zeek log file, handing each row's result to `onItem` and awaiting
 * it (back-pressure). Bad lines become `error` items with their line number;
 * nothing in the file makes this throw. Only I/O failures (the file cannot
 * be opened or read) reject.
 */
export async function readZeekFile(
  file: string,
  opts: ReadOptions,
  onItem: (item: ZeekItem) => Promise<void>,
): Promise<void> {
  if (file.endsWith('.gz')) return readGzipped(file, opts, onItem);
  let parser = new ZeekLogParser();
  let fh = await open(file, 'r');
  let offset = 0;
  let rest = '';
  const buf = Buffer.alloc(1 << 16);
  const decoder = new TextDecoder('utf-8');
  try {
    for (;;) {
      if (opts.signal?.aborted) break;
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        const lines = (rest + decoder.decode(buf.subarray(0, bytesRead), { stream: true })).split('\n');
        rest = lines.pop()!;
        for (const text of lines) {
          const item = toItem(parser, text, file, opts.sid);
          if (item) await onItem(item);
        }
        continue;
      }
      if (!opts.follow) break;
      // At the end of a followed file: wait for more, and start over if it was truncated or replaced.
      await sleep(opts.pollIntervalMs ?? 500, opts.signal);
      const now = await stat(file).catch(() => undefined);
      const mine = await fh.stat();
      if (now && (now.ino !== mine.ino || now.size < offset)) {
        await fh.close();
        fh = await open(file, 'r');
        offset = 0;
        rest = '';
        parser = new ZeekLogParser();
      }
    }
    rest += decoder.decode();
    if (opts.signal?.aborted) {
      // Stopped while the writer was still in the middle of a row: say so rather than drop it quietly.
      if (rest !== '')
        await onItem({
          kind: 'error',
          file,
          line: parser.lines + 1,
          reason: 'incomplete last line when the read stopped',
          text: rest.slice(0, 300),
        });
      return;
    }
    // A last line without its line break: a log cut off mid-row is reported, not dropped.
    if (rest !== '') {
      const item = toItem(parser, rest, file, opts.sid);
      if (item) await onItem(item);
    }
  } finally {
    await fh.close();
  }
}

/** The conn and dns logs of a directory, by name, in name order. */
export async function zeekLogsIn(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => ZEEK_LOG_NAME.test(basename(n)))
    .sort()
    .map((n) => join(dir, n));
}
