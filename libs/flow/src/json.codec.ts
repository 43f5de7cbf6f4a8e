import { FIELD_BY_NAME, FIELDS, FieldDef, FlowRecord } from './flow.catalogue';

const REQUIRED = (FIELDS as readonly FieldDef[]).filter((d) => d.required).map((d) => d.name);
const IS_TEXT = new Map((FIELDS as readonly FieldDef[]).map((d) => [d.name, d.type === 'string' || d.type === 'addr']));

/** Why a value is not a flow record, or undefined when it is one. */
export function flowRecordProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const text = IS_TEXT.get(k);
    if (text === undefined) return `unknown field ${k}`;
    const x = o[k];
    if (x === null) continue;
    if (text ? typeof x !== 'string' : typeof x !== 'number' || !Number.isFinite(x)) {
      return `field ${k}: expected ${FIELD_BY_NAME.get(k)!.type}, found ${typeof x}`;
    }
  }
  for (const name of REQUIRED) if (o[name] === undefined || o[name] === null) return `missing field ${name}`;
  if (o.rtype !== 'status' && o.rtype !== 'final')
    return `field rtype: expected status or final, found ${String(o.rtype)}`;
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

/** One JSON line. Fields keep the producer's order (the sensor's is the catalogue's). */
export function encodeFlowJson(r: FlowRecord): string {
  return JSON.stringify(r);
}
