import { FIELDS, FieldDef, FlowRecord } from './flow.catalogue';

/** The CSV header line: every catalogue field, in order. */
export function csvHeader(fields: readonly string[] = FIELDS.map((d) => d.name)): string {
  return fields.join(',');
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function encodeFlowCsv(r: FlowRecord, fields: readonly string[] = FIELDS.map((d) => d.name)): string {
  const o = r as unknown as Record<string, unknown>;
  return fields.map((f) => csvCell(o[f])).join(',');
}

/** Splits one CSV line, honouring quotes. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Turns a CSV row into a record, typing cells by the catalogue. */
export function decodeFlowCsv(header: readonly string[], line: string): Record<string, unknown> {
  const cells = splitCsvLine(line);
  const o: Record<string, unknown> = {};
  const defs = new Map((FIELDS as readonly FieldDef[]).map((d) => [d.name, d]));
  header.forEach((name, i) => {
    const cell = cells[i];
    if (cell === undefined || cell === '') return;
    const d = defs.get(name);
    o[name] = d && d.type !== 'string' && d.type !== 'addr' ? Number(cell) : cell;
  });
  return o;
}
