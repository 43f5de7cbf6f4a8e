/**
 * Parses Zeek logs line by line into plain rows keyed by Zeek field name:
 * the ASCII (TSV) writer's format with its `#` header (separator, unset and
 * empty markers, #fields, #types), a bare column-name line in place of the
 * header (what `zeek-cut -c` style tools leave), and JSON lines. A line that
 * cannot be a row says why, with its line number; nothing throws.
 */

export type ZeekValue = string | number | boolean | null | readonly (string | number)[];
export type ZeekRow = Record<string, ZeekValue>;

export type ParsedLine =
  | { readonly kind: 'row'; readonly line: number; readonly path?: string; readonly row: ZeekRow }
  | { readonly kind: 'error'; readonly line: number; readonly reason: string }
  | { readonly kind: 'skip' };

/** Zeek fields whose values are numbers, when a log has no #types line (bare header or hand-made). */
const NUMERIC = new Set([
  'ts',
  'id.orig_p',
  'id.resp_p',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'missed_bytes',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'ip_proto',
  'vlan',
  'inner_vlan',
  'trans_id',
  'rtt',
  'qclass',
  'qtype',
  'rcode',
  'Z',
  'opcode',
]);
const BOOLEAN = new Set(['local_orig', 'local_resp', 'AA', 'TC', 'RD', 'RA', 'rejected']);
const LIST = new Set(['tunnel_parents', 'answers', 'TTLs']);

interface Header {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
  path?: string;
  fields?: string[];
  types?: string[];
}

/** Decodes Zeek's \xHH escapes (used for separators and non-printable bytes in values). */
function unescapeZeek(s: string): string {
  return s.includes('\\x')
    ? s.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    : s;
}

export class ZeekLogParser {
  private header: Header = { separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-' };
  private lineNo = 0;

  /** Lines parsed so far. */
  get lines(): number {
    return this.lineNo;
  }

  /** The #path of the log (conn, dns, ...) once its header has been read. */
  get path(): string | undefined {
    return this.header.path;
  }

  /** Parses the next line of the file (without its line break). */
  parse(text: string): ParsedLine {
    const line = ++this.lineNo;
    const trimmed = text.replace(/\r$/, '');
    if (trimmed.trim() === '') return { kind: 'skip' };
    if (trimmed.startsWith('#')) return this.directive(trimmed, line);
    if (trimmed.startsWith('{')) return this.json(trimmed, line);
    if (!this.header.fields) {
      // A bare column-name line in place of the # header.
      const cols = trimmed.split(this.header.separator);
      if (cols[0] === 'ts' && cols.includes('uid')) {
        this.header.fields = cols;
        this.header.types = undefined;
        return { kind: 'skip' };
      }
      return { kind: 'error', line, reason: 'not a Zeek log row: no #fields header before it and not JSON' };
    }
    return this.tsv(trimmed, line);
  }

  private directive(text: string, line: number): ParsedLine {
    // btest baselines start with a "### BTest baseline ..." banner: a comment, not a directive.
    if (text.startsWith('##')) return { kind: 'skip' };
    const h = this.header;
    if (text.startsWith('#separator')) {
      const value = text.slice('#separator'.length).replace(/^[ \t]/, '');
      h.separator = unescapeZeek(value.trim() || value);
      return { kind: 'skip' };
    }
    const sep = text.indexOf(h.separator);
    const name = sep < 0 ? text.split(/\s/)[0] : text.slice(0, sep);
    const rest = sep < 0 ? '' : text.slice(sep + h.separator.length);
    switch (name) {
      case '#set_separator':
        h.setSeparator = unescapeZeek(rest);
        break;
      case '#empty_field':
        h.emptyField = rest;
        break;
      case '#unset_field':
        h.unsetField = rest;
        break;
      case '#path':
        h.path = rest;
        break;
      case '#fields':
        h.fields = rest.split(h.separator);
        h.types = undefined;
        if (h.fields.some((f) => f === '')) return { kind: 'error', line, reason: '#fields has an empty field name' };
        break;
      case '#types':
        h.types = rest.split(h.separator);
        if (h.fields && h.types.length !== h.fields.length) {
          return { kind: 'error', line, reason: `#types has ${h.types.length} entries for ${h.fields.length} #fields` };
        }
        break;
      default:
        // #open, #close and other comments.
        break;
    }
    return { kind: 'skip' };
  }

  private tsv(text: string, line: number): ParsedLine {
    const h = this.header;
    const fields = h.fields!;
    const cells = text.split(h.separator);
    if (cells.length !== fields.length) {
      return {
        kind: 'error',
        line,
        reason: `expected ${fields.length} fields, found ${cells.length} (truncated or not this log's format)`,
      };
    }
    const row: ZeekRow = {};
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i];
      const type = h.types?.[i];
      const raw = cells[i];
      const v = this.cell(name, type, raw);
      if (typeof v === 'object' && v !== null && 'problem' in v)
        return { kind: 'error', line, reason: `${name}: ${v.problem}` };
      row[name] = v as ZeekValue;
    }
    return { kind: 'row', line, path: h.path, row };
  }

  private cell(name: string, type: string | undefined, raw: string): ZeekValue | { problem: string } {
    const h = this.header;
    const isList = type ? /^(set|vector)\[/.test(type) : LIST.has(name);
    if (raw === h.unsetField) return null;
    if (isList) {
      if (raw === h.emptyField) return [];
      const inner = type?.match(/^(?:set|vector)\[(.*)\]$/)?.[1];
      const numeric = inner ? ['count', 'int', 'double', 'interval', 'time', 'port'].includes(inner) : name === 'TTLs';
      const items = raw.split(h.setSeparator).map(unescapeZeek);
      if (!numeric) return items;
      const nums = items.map(Number);
      return nums.some((n) => !Number.isFinite(n)) ? { problem: `not a list of numbers: ${raw}` } : nums;
    }
    const kind = type ?? (NUMERIC.has(name) ? 'double' : BOOLEAN.has(name) ? 'bool' : 'string');
    switch (kind) {
      case 'time':
      case 'interval':
      case 'double':
      case 'count':
      case 'int':
      case 'port': {
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n)) return { problem: `not a number: ${raw}` };
        return n;
      }
      case 'bool':
        if (raw === 'T') return true;
        if (raw === 'F') return false;
        return { problem: `not a bool (T or F): ${raw}` };
      default:
        return raw === h.emptyField ? '' : unescapeZeek(raw);
    }
  }

  private json(text: string, line: number): ParsedLine {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      return { kind: 'error', line, reason: `not valid JSON (truncated?): ${(err as Error).message}` };
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return { kind: 'error', line, reason: 'JSON line is not an object' };
    const o = v as Record<string, unknown>;
    // Zeek's JSON writer may nest the connection id ({"id": {"orig_h": ...}}) or flatten it ("id.orig_h").
    const row: ZeekRow = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === 'id' && typeof x === 'object' && x !== null && !Array.isArray(x)) {
        for (const [ik, iv] of Object.entries(x)) row[`id.${ik}`] = iv as ZeekValue;
      } else row[k] = x as ZeekValue;
    }
    const path = typeof o._path === 'string' ? o._path : undefined;
    return { kind: 'row', line, path, row };
  }
}
