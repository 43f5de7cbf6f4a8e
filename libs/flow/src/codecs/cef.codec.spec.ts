import { sampleFlows } from '../../../../test/e2e/siem-schemas';
import { encodeFlowCef, parseCefExtension } from './cef.codec';

describe('CEF codec', () => {
  const flows = sampleFlows();

  it('writes a CEF:0 header with seven fields and the flow as extension keys', () => {
    const f = flows[0];
    const line = encodeFlowCef(f, '0.1.0');
    expect(line.split('|').slice(0, 7)).toEqual([
      'CEF:0',
      'Panoptes',
      'Panoptes',
      '0.1.0',
      'flow-final',
      'Network flow ended',
      '1',
    ]);
    const x = parseCefExtension(line);
    expect(x).toMatchObject({
      src: f.saddr,
      dst: f.daddr,
      spt: String(f.sport),
      dpt: String(f.dport),
      proto: 'TCP',
      out: String(f.sbytes),
      in: String(f.dbytes),
      cn1: String(f.spkts),
      cn2: String(f.dpkts),
      start: String(Math.round(f.stime * 1000)),
      end: String(Math.round(f.ltime * 1000)),
      externalId: 'f1:2',
      cs1: 'RST',
      dhost: f.dname,
    });
    expect(line).not.toMatch(/\n/);
  });

  it('puts IPv6 addresses in the IPv6 slots and MACs in smac/dmac', () => {
    expect(parseCefExtension(encodeFlowCef(flows[1]))).toMatchObject({ c6a2: '2001:db8::1', c6a3: '2001:db8::53' });
    expect(parseCefExtension(encodeFlowCef(flows[3]))).toMatchObject({ smac: flows[3].saddr, dmac: flows[3].daddr });
  });

  it('escapes = and backslash in values and | in the header', () => {
    const f = { ...flows[2], sid: 'a=b\\c', uid: 'x|y' };
    const line = encodeFlowCef(f, '1|2');
    expect(line).toContain('|1\\|2|');
    expect(line).toContain('dvchost=a\\=b\\\\c');
    expect(parseCefExtension(line).dvchost).toBe('a=b\\c');
    expect(parseCefExtension(line).externalId).toBe('x|y:0');
  });
});
