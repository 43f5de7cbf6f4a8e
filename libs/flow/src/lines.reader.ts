import { createReadStream } from 'node:fs';
import { jsonCanonicalLines } from '@panoptes/capture';

export interface LineBatch {
  lines: string[];
  /** 1-based number of the batch's first line. */
  first: number;
  /**
   * With `canonical`: 1 where a line is one JSON object spelled exactly as
   * JSON.stringify spells what JSON.parse makes of it (checked natively),
   * so a writer may use the line as the record's text. Absent where the
   * native module is not built.
   */
  canonical?: Uint8Array;
}

/**
 * Reads a UTF-8 text file (or stdin with `-`) as batches of lines. Much
 * cheaper than readline's per-line async iteration: one await per chunk, not
 * per line. A character split between two chunks is decoded whole.
 */
export async function* readLineBatches(
  path: string,
  options: { highWaterMark?: number; canonical?: boolean } = {},
): AsyncGenerator<LineBatch> {
  const input =
    path === '-'
      ? process.stdin.setEncoding('utf8')
      : createReadStream(path, { highWaterMark: options.highWaterMark ?? 1 << 20, encoding: 'utf8' });
  const check = options.canonical && nativeLoads() ? jsonCanonicalLines : undefined;
  let rest = '';
  let lineNo = 1;
  try {
    for await (const chunk of input) {
      const text = rest + (chunk as string);
      const canonical = check?.(text);
      const lines = text.split('\n');
      rest = lines.pop()!;
      if (lines.length) {
        yield { lines: stripCr(lines), first: lineNo, canonical: canonical?.subarray(0, lines.length) };
        lineNo += lines.length;
      }
    }
    if (rest) yield { lines: stripCr([rest]), first: lineNo, canonical: check?.(rest) };
  } finally {
    if (input !== process.stdin) (input as ReturnType<typeof createReadStream>).destroy();
  }
}

function stripCr(lines: string[]): string[] {
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  return lines;
}

let loads: boolean | undefined;

function nativeLoads(): boolean {
  if (loads === undefined) {
    try {
      jsonCanonicalLines('{}');
      loads = true;
    } catch {
      loads = false;
    }
  }
  return loads;
}
