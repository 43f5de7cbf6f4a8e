/**
 * An independent, deliberately plain reading of a Zeek log for tests: which
 * data lines are well-formed conn/dns rows and what their counters add up
 * to. The converter's output is checked against it row for row.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface OracleRow {
  readonly line: number;
  readonly uid: string;
  readonly kind: 'conn' | 'dns';
  readonly origPkts: number;
  readonly respPkts: number;
  readonly origIpBytes: number;
  readonly respIpBytes: number;
  readonly answered: boolean;
}

export interface Oracle {
  readonly rows: OracleRow[];
  /** Line numbers (1-based) of data lines that are not well-formed rows. */
  readonly badLines: number[];
}

const num = (s: unknown): number =>
  typeof s === 'number' ? s : typeof s === 'string' && s.trim() !== '' ? Number(s) : NaN;
const port = (s: unknown) => Number.isInteger(num(s)) && num(s) >= 0 && num(s) <= 65535;
const count = (s: unknown) => Number.isInteger(num(s)) && num(s) >= 0;

export function oracle(file: string): Oracle {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let sep = '\t';
  let fields: string[] | undefined;
  let path: string | undefined;
  const rows: OracleRow[] = [];
  const badLines: number[] = [];
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '') return;
    let o: Record<string, unknown> | undefined;
    if (text.startsWith('#separator ')) {
      sep = text.slice(11) === '\\x09' ? '\t' : text.slice(11);
      return;
    }
    if (text.startsWith('#')) {
      const [k, ...v] = text.split(sep);
      if (k === '#fields') fields = v;
      if (k === '#path') path = v[0];
      return;
    }
    if (text.startsWith('{')) {
      try {
        o = JSON.parse(text);
      } catch {
        badLines.push(line);
        return;
      }
    } else {
      const cells = text.split(sep);
      if (!fields && cells[0] === 'ts' && cells.includes('uid')) {
        fields = cells;
        return;
      }
      if (!fields || cells.length !== fields.length) {
        badLines.push(line);
        return;
      }
      o = Object.fromEntries(fields.map((f, j) => [f, cells[j] === '-' ? null : cells[j]]));
    }
    const kind = (o!._path ?? path) === 'dns' || 'query' in o! ? 'dns' : 'conn';
    const ok =
      Number.isFinite(num(o!.ts)) &&
      isIP(String(o!['id.orig_h'])) > 0 &&
      isIP(String(o!['id.resp_h'])) > 0 &&
      port(o!['id.orig_p']) &&
      port(o!['id.resp_p']) &&
      (kind === 'dns' || ['orig_pkts', 'resp_pkts', 'orig_ip_bytes', 'resp_ip_bytes'].every((k) => count(o![k])));
    if (!ok) {
      badLines.push(line);
      return;
    }
    rows.push({
      line,
      uid: String(o!.uid),
      kind,
      origPkts: kind === 'conn' ? num(o!.orig_pkts) : 0,
      respPkts: kind === 'conn' ? num(o!.resp_pkts) : 0,
      origIpBytes: kind === 'conn' ? num(o!.orig_ip_bytes) : 0,
      respIpBytes: kind === 'conn' ? num(o!.resp_ip_bytes) : 0,
      answered: kind === 'dns' && o!.rcode !== null && o!.rcode !== undefined,
    });
  });
  return { rows, badLines };
}
