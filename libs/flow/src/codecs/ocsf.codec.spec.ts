import { ocsfProblems, sampleFlows } from '../../../../test/e2e/siem-schemas';
import { encodeFlowOcsf, OcsfActivity } from './ocsf.codec';

type Ev = Record<string, any>;

describe('OCSF codec', () => {
  const flows = sampleFlows();

  it.each(flows.map((f) => [f.uid, f] as const))(
    'validates against the OCSF Network Activity JSON Schema (%s)',
    (_uid, f) => {
      expect(ocsfProblems(encodeFlowOcsf(f))).toEqual([]);
      expect(ocsfProblems(encodeFlowOcsf(f, { spkts: 100, dpkts: 90, sbytes: 1000, dbytes: 900 }))).toEqual([]);
    },
  );

  it('the schema refuses what OCSF refuses (so a pass means something)', () => {
    const ev = encodeFlowOcsf(flows[0]) as Ev;
    expect(ocsfProblems({ ...ev, class_uid: 4002 })).not.toEqual([]);
    expect(ocsfProblems({ ...ev, src_endpoint: { ...ev.src_endpoint, port: 70000 } })).not.toEqual([]);
    expect(ocsfProblems({ ...ev, traffic: { ...ev.traffic, bytes: 1.5 } })).not.toEqual([]);
    expect(ocsfProblems({ ...ev, panoptes_state: 'x' })).not.toEqual([]);
    const { metadata: _m, ...noMeta } = ev;
    expect(ocsfProblems(noMeta)).not.toEqual([]);
  });

  it('a final record that ended in a reset is a Reset activity with its deltas as traffic', () => {
    const f = flows[0];
    const ev = encodeFlowOcsf(f) as Ev;
    expect(ev.activity_id).toBe(OcsfActivity.Reset);
    expect(ev.type_uid).toBe(400100 + OcsfActivity.Reset);
    expect(ev.traffic).toEqual({
      bytes: f.sbytes + f.dbytes,
      bytes_out: f.sbytes,
      bytes_in: f.dbytes,
      packets: f.spkts + f.dpkts,
      packets_out: f.spkts,
      packets_in: f.dpkts,
    });
    expect(ev.time).toBe(Math.round(f.ltime * 1000));
    expect(ev.start_time).toBe(Math.round(f.stime * 1000));
    expect(ev.src_endpoint).toMatchObject({
      ip: f.saddr,
      port: f.sport,
      location: { country: 'US', city: 'Boston' },
      autonomous_system: { number: 64500 },
    });
    expect(ev.dst_endpoint.hostname).toBe('www.example.com');
    expect(ev.connection_info).toMatchObject({
      protocol_name: 'tcp',
      protocol_num: 6,
      protocol_ver_id: 4,
      community_uid: f.cid,
    });
    expect(ev.is_src_dst_assignment_known).toBe(true);
    expect(ev.cumulative_traffic).toBeUndefined();
  });

  it('a status record is a Traffic activity; given running totals it carries them as cumulative_traffic', () => {
    const f = flows[1];
    const ev = encodeFlowOcsf(f, { spkts: 10, dpkts: 7, sbytes: 1000, dbytes: 3000 }) as Ev;
    expect(ev.activity_id).toBe(OcsfActivity.Traffic);
    expect(ev.traffic.bytes).toBe(f.sbytes + f.dbytes);
    expect(ev.cumulative_traffic).toMatchObject({ bytes: 4000, packets: 17, bytes_out: 1000, packets_in: 7 });
    expect(ev.is_src_dst_assignment_known).toBe(false);
    expect(ev.connection_info.protocol_ver_id).toBe(6);
  });
});
