import { FlowRecord } from '../flow.catalogue';
import { ecsFieldDefs, ecsPaths, ecsProblems, sampleFlows } from '../../../../test/e2e/siem-schemas';
import { encodeFlowEcs } from './ecs.codec';

type Doc = Record<string, any>;

describe('ECS codec', () => {
  const flows = sampleFlows();

  it.each(flows.map((f) => [f.uid, f] as const))(
    'type-checks every emitted field against the ECS definitions (%s)',
    (_uid, f) => {
      expect(ecsProblems(encodeFlowEcs(f))).toEqual([]);
    },
  );

  it('emits every field of the ECS fixture across the sample records, so each one is type-checked', () => {
    const seen = new Set(flows.flatMap((f) => ecsPaths(encodeFlowEcs(f))));
    const unused = Object.keys(ecsFieldDefs()).filter((k) => !seen.has(k));
    expect(unused).toEqual([]);
  });

  it('maps the flow key, counters, times and enrichment of a record to their ECS fields', () => {
    const f = flows[0];
    const d = encodeFlowEcs(f) as Doc;
    expect(d.source).toMatchObject({
      ip: f.saddr,
      port: f.sport,
      bytes: f.sbytes,
      packets: f.spkts,
      mac: '00-11-22-33-44-55',
    });
    expect(d.destination).toMatchObject({
      ip: f.daddr,
      port: f.dport,
      bytes: f.dbytes,
      packets: f.dpkts,
      domain: f.dname,
    });
    expect(d.source.geo).toEqual({
      country_iso_code: f.sco,
      city_name: f.scity,
      location: { lat: f.slat, lon: f.slon },
    });
    expect(d.destination.as).toEqual({ number: f.das, organization: { name: f.dasorg } });
    expect(d.network).toMatchObject({
      transport: 'tcp',
      iana_number: '6',
      type: 'ipv4',
      bytes: f.sbytes + f.dbytes,
      packets: f.spkts + f.dpkts,
      community_id: f.cid,
      vlan: { id: '100' },
    });
    expect(d.event.id).toBe(`${f.uid}:${f.seq}`);
    expect(d.event.duration).toBe(Math.round(f.dur * 1e9));
    expect(Date.parse(d.event.end) / 1000).toBeCloseTo(f.ltime, 3);
    expect(d['@timestamp']).toBe('2023-11-14T22:13:20.123456Z');
    expect(d.related.ip).toEqual([f.saddr, f.daddr]);
    expect(d.labels).toMatchObject({ flow_uid: f.uid, flow_state: 'RST', record_type: 'final' });
  });

  it('keys a non-IP flow by MAC and leaves out the IP fields', () => {
    const d = encodeFlowEcs(flows[3] as FlowRecord) as Doc;
    expect(d.source.ip).toBeUndefined();
    expect(d.source.mac).toBe('00-11-22-33-44-55');
    expect(d.network.transport).toBeUndefined();
    expect(d.related).toBeUndefined();
  });
});
