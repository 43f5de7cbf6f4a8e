/**
 * Checks SIEM documents against the published schemas kept in test/fixtures:
 * ECS field definitions (test/fixtures/ecs/ecs-fields.json) and the OCSF
 * Network Activity JSON Schema (test/fixtures/ocsf/network_activity-*.schema.json).
 * Shared by the codec specs and the SIEM e2e tests.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';

const FIXTURES = join(__dirname, '..', 'fixtures');

interface EcsFieldDef {
  type: string;
  array: boolean;
  allowed?: string[];
}

let ecsFields: Record<string, EcsFieldDef> | undefined;

export function ecsFieldDefs(): Record<string, EcsFieldDef> {
  ecsFields ??= (
    JSON.parse(readFileSync(join(FIXTURES, 'ecs', 'ecs-fields.json'), 'utf8')) as {
      fields: Record<string, EcsFieldDef>;
    }
  ).fields;
  return ecsFields;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function leafProblem(path: string, def: EcsFieldDef, v: unknown): string | undefined {
  if (Array.isArray(v)) {
    if (!def.array) return `${path}: an array, but ECS defines a single ${def.type}`;
    for (const x of v) {
      const p = leafProblem(path, { ...def, array: false }, x);
      if (p) return p;
    }
    return undefined;
  }
  switch (def.type) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'text':
    case 'match_only_text':
      if (typeof v !== 'string') return `${path}: ${def.type} wants a string, found ${typeof v}`;
      if (def.allowed && !def.allowed.includes(v))
        return `${path}: "${v}" is not an allowed value (${def.allowed.join(', ')})`;
      return undefined;
    case 'ip':
      return typeof v === 'string' && isIP(v)
        ? undefined
        : `${path}: ip wants an IP address, found ${JSON.stringify(v)}`;
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
      return Number.isSafeInteger(v)
        ? undefined
        : `${path}: ${def.type} wants a whole number, found ${JSON.stringify(v)}`;
    case 'float':
    case 'double':
    case 'scaled_float':
      return typeof v === 'number' && Number.isFinite(v)
        ? undefined
        : `${path}: ${def.type} wants a number, found ${JSON.stringify(v)}`;
    case 'date':
      return typeof v === 'string' && ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))
        ? undefined
        : `${path}: date wants an ISO 8601 time, found ${JSON.stringify(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `${path}: boolean wants true or false, found ${JSON.stringify(v)}`;
    default:
      return `${path}: ECS type ${def.type} is not checked here`;
  }
}

/**
 * Every field of an ECS document that is not an ECS field, or whose value
 * does not have the field's ECS type, one message each. Empty when the
 * document type-checks.
 */
export function ecsProblems(doc: unknown): string[] {
  const defs = ecsFieldDefs();
  const problems: string[] = [];
  const walk = (v: unknown, path: string) => {
    const def = path ? defs[path] : undefined;
    if (def?.type === 'geo_point') {
      const ok =
        isPlainObject(v) &&
        typeof v.lat === 'number' &&
        typeof v.lon === 'number' &&
        Math.abs(v.lat) <= 90 &&
        Math.abs(v.lon) <= 180;
      if (!ok) problems.push(`${path}: geo_point wants {lat, lon}, found ${JSON.stringify(v)}`);
      return;
    }
    if (def?.type === 'object') {
      // ECS `labels`: a flat map of keyword values.
      if (!isPlainObject(v)) problems.push(`${path}: object wants a mapping`);
      else
        for (const [k, x] of Object.entries(v))
          if (typeof x !== 'string') problems.push(`${path}.${k}: labels hold keywords, found ${typeof x}`);
      return;
    }
    if (isPlainObject(v) && !def) {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
      return;
    }
    if (!def) {
      problems.push(`${path}: not an ECS field`);
      return;
    }
    const p = leafProblem(path, def, v);
    if (p) problems.push(p);
  };
  walk(doc, '');
  return problems;
}

/** Every dotted field path of an ECS document (for coverage checks). */
export function ecsPaths(doc: unknown, prefix = ''): string[] {
  const defs = ecsFieldDefs();
  if (!isPlainObject(doc) || (prefix && defs[prefix])) return [prefix];
  return Object.entries(doc).flatMap(([k, v]) => ecsPaths(v, prefix ? `${prefix}.${k}` : k));
}

let ocsfValidate: ValidateFunction | undefined;

/** The OCSF version of the JSON Schema kept in test/fixtures/ocsf. */
export const OCSF_FIXTURE_VERSION = '1.7.0';

/** JSON Schema errors of an OCSF event against Network Activity (class 4001); empty when valid. */
export function ocsfProblems(event: unknown): string[] {
  if (!ocsfValidate) {
    const schema = JSON.parse(
      readFileSync(join(FIXTURES, 'ocsf', `network_activity-${OCSF_FIXTURE_VERSION}.schema.json`), 'utf8'),
    );
    ocsfValidate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  }
  if (ocsfValidate(event)) return [];
  return (ocsfValidate.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '/'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`,
  );
}

/**
 * Flow records that between them set every catalogue field a SIEM mapping
 * reads: an enriched IPv4 TCP flow that ended in a reset, an IPv6 UDP status
 * record whose direction is a guess, an ICMP echo, and a non-IP (LLDP) flow
 * keyed by MAC addresses.
 */
export function sampleFlows(): import('@panoptes/flow').FlowRecord[] {
  return [
    {
      uid: 'f1',
      seq: 2,
      rtype: 'final',
      sid: 'sensor-a',
      stime: 1700000000.123456,
      ltime: 1700000003.5,
      dur: 3.376544,
      proto: 'tcp',
      saddr: '192.0.2.10',
      sport: 51515,
      dir: '->',
      daddr: '198.51.100.7',
      dport: 443,
      spkts: 12,
      dpkts: 10,
      sbytes: 2048,
      dbytes: 40960,
      sappbytes: 1200,
      dappbytes: 39000,
      state: 'RST',
      flgs: ' e      ',
      stcpflgs: 'SAPR',
      dtcpflgs: 'SAP',
      sttl: 64,
      dttl: 57,
      smac: '00:11:22:33:44:55',
      dmac: '66:77:88:99:aa:bb',
      vlan: 100,
      cid: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
      sco: 'US',
      dco: 'DE',
      scity: 'Boston',
      dcity: 'Berlin',
      slat: 42.36,
      slon: -71.06,
      dlat: 52.52,
      dlon: 13.4,
      sas: 64500,
      das: 64501,
      sasorg: 'Example Org A',
      dasorg: 'Example Org B',
      sname: 'client.example.org',
      dname: 'www.example.com.',
    },
    {
      uid: 'f2',
      seq: 0,
      rtype: 'status',
      sid: 'sensor-a',
      stime: 1700000100,
      ltime: 1700000160.000001,
      dur: 60.000001,
      proto: 'udp',
      saddr: '2001:db8::1',
      sport: 5353,
      dir: '<?>',
      daddr: '2001:db8::53',
      dport: 53,
      spkts: 3,
      dpkts: 3,
      sbytes: 300,
      dbytes: 900,
      state: 'CON',
    },
    {
      uid: 'f3',
      seq: 0,
      rtype: 'final',
      sid: 'zeek',
      stime: 1700000200.5,
      ltime: 1700000200.5,
      dur: 0,
      proto: 'icmp',
      saddr: '203.0.113.5',
      sport: null,
      dir: '->',
      daddr: '203.0.113.9',
      dport: null,
      spkts: 1,
      dpkts: 0,
      sbytes: 84,
      dbytes: 0,
      state: 'ECO',
    },
    {
      uid: 'f4',
      seq: 0,
      rtype: 'final',
      sid: 'sensor-b',
      stime: 1700000300,
      ltime: 1700000330,
      dur: 30,
      proto: '0x88cc',
      saddr: '00:11:22:33:44:55',
      dir: '->',
      daddr: '01:80:c2:00:00:0e',
      spkts: 2,
      dpkts: 0,
      sbytes: 240,
      dbytes: 0,
    },
  ];
}
