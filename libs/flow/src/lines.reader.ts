import { createReadStream } from 'node:fs';
import { jsonCanonicalLinesIfBuilt, lineText } from '@panoptes/capture';

export interface LineBatch {
  lines: string[];
  /** 1-based number of the batch's first line. */
  first: number;
  /**
   * With `canonical`: bit 0 set where a line is one JSON object spelled
   * exactly as JSON.stringify spells what JSON.parse makes of it (checked
   * natively; see jsonCanonicalLines), so a writer may use the line as the
   * record's text. Absent where the native module is not built.
   */
  canonical?: Uint8Array;
}

/**
 * Reads a UTF-8 text file (or stdin with `-`) as batches of lines. Much
 * cheaper than readline's per-line async iteration: one await per chunk, not
 * per line. Chunks are cut after their last newline, so no line and no
 * character is ever split between two batches.
 */
export async function* readLineBatches(
  path: string,
  options: { highWaterMark?: number; canonical?: boolean } = {},
): AsyncGenerator<LineBatch> {
  const input =
    path === '-' ? process.stdin : createReadStream(path, { highWaterMark: options.highWaterMark ?? 1 << 20 });
  const check = options.canonical ? jsonCanonicalLinesIfBuilt : undefined;
  const batch = (bytes: Buffer, first: number): LineBatch => {
    const canonical = check?.(bytes);
    const lines = canonical ? eachLine(bytes, canonical) : stripCr(bytes.toString('utf8').split('\n'));
    return { lines, first, canonical };
  };
  let rest: Buffer = Buffer.alloc(0);
  let lineNo = 1;
  try {
    for await (const chunk of input) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      const buf = rest.length ? Buffer.concat([rest, data]) : data;
      const end = buf.lastIndexOf(10);
      if (end < 0) {
        rest = buf;
        continue;
      }
      rest = buf.subarray(end + 1);
      const b = batch(buf.subarray(0, end), lineNo);
      lineNo += b.lines.length;
      yield b;
    }
    if (rest.length) yield batch(rest, lineNo);
  } finally {
    if (input !== process.stdin) (input as ReturnType<typeof createReadStream>).destroy();
  }
}

/** The lines of `bytes`, each decoded on its own as its flag says (see lineText). */
function eachLine(bytes: Buffer, flags: Uint8Array): string[] {
  const lines = new Array<string>(flags.length);
  let start = 0;
  for (let i = 0; i < flags.length; i++) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    lines[i] = lineText(bytes, start, end, flags[i]);
    start = end + 1;
  }
  return lines;
}

function stripCr(lines: string[]): string[] {
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  return lines;
}
