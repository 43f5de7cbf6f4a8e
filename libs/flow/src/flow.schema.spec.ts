import { FIELDS } from './flow.catalogue';
import { flowJsonSchema } from './flow.schema';
import { decodeFlowJson, encodeFlowJson, flowRecordProblem } from './json.codec';

describe('flow catalogue and schema', () => {
  it('uses unique Argus-style names with a meaning for every field', () => {
    const names = FIELDS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of FIELDS) {
      expect(f.name).toMatch(/^[a-z]+$/);
      expect(f.description.length).toBeGreaterThan(5);
    }
    for (const n of [
      'stime',
      'ltime',
      'dur',
      'proto',
      'saddr',
      'sport',
      'dir',
      'daddr',
      'dport',
      'spkts',
      'dpkts',
      'sbytes',
      'dbytes',
      'uid',
      'seq',
      'rtype',
      'sid',
    ]) {
      expect(names).toContain(n);
    }
  });

  it('generates a JSON Schema from the catalogue', () => {
    const s = flowJsonSchema() as {
      properties: Record<string, { type: unknown; enum?: string[] }>;
      required: string[];
    };
    expect(Object.keys(s.properties)).toEqual(FIELDS.map((f) => f.name));
    expect(s.properties.sbytes.type).toBe('integer');
    expect(s.properties.sport.type).toEqual(['integer', 'null']);
    expect(s.properties.rtype.enum).toEqual(['status', 'final']);
    expect(s.required).toEqual(expect.arrayContaining(['uid', 'seq', 'rtype', 'sid', 'saddr', 'spkts']));
    expect(s.required).not.toContain('sport');
  });

  it('round-trips a record through JSON and names what is wrong with a bad one', () => {
    const r = {
      uid: 'x',
      seq: 1,
      rtype: 'status',
      sid: 's',
      stime: 1.5,
      ltime: 2.25,
      dur: 0.75,
      proto: 'icmp',
      saddr: '::1',
      sport: null,
      dir: '<->',
      daddr: '::2',
      dport: null,
      spkts: 1,
      dpkts: 1,
      sbytes: 98,
      dbytes: 98,
    } as const;
    expect(decodeFlowJson(encodeFlowJson(r as never))).toEqual(r);
    expect(flowRecordProblem({ ...r, spkts: '1' })).toBe('field spkts: expected int, found string');
    expect(flowRecordProblem({ ...r, rtype: 'interim' })).toBe('field rtype: expected status or final, found interim');
    expect(flowRecordProblem({ ...r, sbytes: Infinity })).toBe('field sbytes: expected int, found number');
    expect(flowRecordProblem([])).toBe('not a JSON object');
    expect(() => decodeFlowJson('{', 7)).toThrow(/^line 7: not valid JSON/);
  });
});
