import { createReadStream } from 'node:fs';

/**
 * Reads a text file (or stdin with `-`) as batches of lines. Much cheaper
 * than readline's per-line async iteration: one await per chunk, not per
 * line. `first` is the 1-based number of the batch's first line.
 */
export async function* readLineBatches(
  path: string,
  highWaterMark = 1 << 20,
): AsyncGenerator<{ lines: string[]; first: number }> {
  const input = path === '-' ? process.stdin : createReadStream(path, { highWaterMark });
  let rest = '';
  let lineNo = 1;
  try {
    for await (const chunk of input) {
      const text = rest + (typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8'));
      const lines = text.split('\n');
      rest = lines.pop()!;
      if (lines.length) {
        yield { lines: stripCr(lines), first: lineNo };
        lineNo += lines.length;
      }
    }
    if (rest) yield { lines: stripCr([rest]), first: lineNo };
  } finally {
    if (input !== process.stdin) (input as ReturnType<typeof createReadStream>).destroy();
  }
}

function stripCr(lines: string[]): string[] {
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  return lines;
}
