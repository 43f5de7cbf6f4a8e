import { FIELD_BY_NAME, FIELDS, FieldDef, FlowRecord } from './flow.catalogue';

/** Why a value is not a flow record, or undefined when it is one. */
export function flowRecordProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  for (const d of FIELDS as readonly FieldDef[]) {
    const x = o[d.name];
    if (x === undefined || x === null) {
      if (d.required) return `missing field ${d.name}`;
      continue;
    }
    const ok = d.type === 'string' || d.type === 'addr' ? typeof x === 'string' : typeof x === 'number' && Number.isFinite(x);
    if (!ok) return `field ${d.name}: expected ${d.type}, found ${typeof x}`;
  }
  if (o.rtype !== 'status' && o.rtype !== 'final') return `field rtype: expected status or final, found ${String(o.rtype)}`;
  for (const k of Object.keys(o)) if (!FIELD_BY_NAME.has(k)) return `unknown field ${k}`;
  return undefined;
}

export class DecodeError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line ? `line ${line}: ${message}` : message);
    this.name = 'DecodeError';
  }
}

/** Parses one JSON line into a flow record, checking every field against the catalogue. */
export function decodeFlowJson(text: string, line?: number): FlowRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new DecodeError(`not valid JSON: ${(err as Error).message}`, line);
  }
  const problem = flowRecordProblem(v);
  if (problem) throw new DecodeError(problem, line);
  return v as FlowRecord;
}

/** One JSON line, fields in catalogue order, absent and null fields left out. */
export function encodeFlowJson(r: FlowRecord): string {
  const o = r as unknown as Record<string, unknown>;
  let s = '{';
  let first = true;
  for (const d of FIELDS) {
    const v = o[d.name];
    if (v === undefined || v === null) continue;
    s += (first ? '"' : ',"') + d.name + '":' + JSON.stringify(v);
    first = false;
  }
  return s + '}';
}
