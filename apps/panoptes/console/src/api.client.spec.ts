import { errorText, withQuery } from './api.client';
import { aggRowsOf, liveRecordsOf, pluginsOf, queuesOf, recordsOf, stat } from './api.shapes';

describe('console API client helpers', () => {
  it('builds query strings, leaving out empty values', () => {
    expect(withQuery('/api/v1/flows', { filter: 'host 10.0.0.1 and port 443', limit: 5, from: undefined, to: '' })).toBe('/api/v1/flows?filter=host+10.0.0.1+and+port+443&limit=5');
    expect(withQuery('/api/v1/plugins')).toBe('/api/v1/plugins');
  });

  it('reads the message out of an error body in any of the shapes Nest produces', () => {
    expect(errorText(400, '{"statusCode":400,"message":"filter: column 17: expected a value after \\"port\\""}')).toBe('filter: column 17: expected a value after "port"');
    expect(errorText(400, '{"message":["from must be a number","limit must not be greater than 10000"]}')).toBe('from must be a number\nlimit must not be greater than 10000');
    expect(errorText(502, 'upstream down\n')).toBe('upstream down');
    expect(errorText(500, '')).toBe('HTTP 500');
  });
});

describe('console response shapes', () => {
  it('finds the records of a flows page and of a live event', () => {
    const r = { uid: 'a', seq: 0 };
    expect(recordsOf([r])).toEqual([r]);
    expect(recordsOf({ records: [r], next: 'c' })).toEqual([r]);
    expect(recordsOf({ nothing: 1 })).toEqual([]);
    expect(liveRecordsOf(JSON.stringify(r))).toEqual([r]);
    expect(liveRecordsOf(JSON.stringify([r, r]))).toEqual([r, r]);
    expect(liveRecordsOf(JSON.stringify({ records: [r] }))).toEqual([r]);
  });

  it('finds aggregate rows, plugin instances and queues', () => {
    expect(aggRowsOf({ rows: [{ saddr: '10.0.0.1', bytes: 5 }] })).toEqual([{ saddr: '10.0.0.1', bytes: 5 }]);
    const p = pluginsOf([{ id: 's', use: 'sensor-pcap', kind: 'source', state: 'running', inputs: {}, outputs: { flows: 'flows.raw' }, stats: { recordsOut: '12' } }]);
    expect(p[0]).toMatchObject({ id: 's', use: 'sensor-pcap', outputs: { flows: 'flows.raw' } });
    expect(stat(p[0].stats, 'recordsIn', 'recordsOut')).toBe(12);
    expect(stat(p[0].stats, 'nope')).toBeUndefined();
    expect(queuesOf({ topics: [{ topic: 'flows.raw', group: 'store', depth: 3, capacity: 64 }, { topic: 't', group: 'g', lag: 9 }] })).toEqual([
      { topic: 'flows.raw', group: 'store', depth: 3, capacity: 64 },
      { topic: 't', group: 'g', depth: 9, capacity: undefined },
    ]);
  });
});
