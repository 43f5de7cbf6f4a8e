import { FIELDS, FieldDef, FieldType } from './flow.catalogue';

const JSON_TYPES: Record<FieldType, object> = {
  time: { type: 'number', minimum: 0 },
  int: { type: 'integer' },
  float: { type: 'number' },
  string: { type: 'string' },
  addr: { type: 'string' },
};

function property(d: FieldDef): object {
  const base = { ...JSON_TYPES[d.type], description: d.unit ? `${d.description} (${d.unit})` : d.description };
  if (d.name === 'rtype') return { ...base, enum: ['status', 'final'] };
  if (d.required) return base;
  return { ...base, type: [(JSON_TYPES[d.type] as { type: string }).type, 'null'] };
}

/** JSON Schema (draft 2020-12) of a flow record, generated from the catalogue. */
export function flowJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://panoptes.dev/schema/flow-record/1.json',
    title: 'Panoptes flow record',
    type: 'object',
    properties: Object.fromEntries(FIELDS.map((d) => [d.name, property(d)])),
    required: FIELDS.filter((d: FieldDef) => d.required).map((d) => d.name),
    additionalProperties: false,
  };
}

/** The schema version carried in record headers (Kafka) and files. */
export const FLOW_SCHEMA_VERSION = 1;
