import { errorText, withQuery } from './api.client';
import { aggRowsOf, droppedOf, liveRecordsOf, pluginsOf, queuesOf, recordsOf, seriesOf, stat } from './api.shapes';

describe('console API client helpers', () => {
  it('builds query strings, leaving out empty values', () => {
    expect(
      withQuery('/api/v1/flows', { filter: 'host 10.0.0.1 and port 443', limit: 5, from: undefined, to: '' }),
    ).toBe('/api/v1/flows?filter=host+10.0.0.1+and+port+443&limit=5');
    expect(withQuery('/api/v1/plugins')).toBe('/api/v1/plugins');
  });

  it('reads the message out of an error body in any of the shapes Nest produces', () => {
    expect(errorText(400, '{"statusCode":400,"message":"filter: column 17: expected a value after \\"port\\""}')).toBe(
      'filter: column 17: expected a value after "port"',
    );
    expect(errorText(400, '{"message":["from must be a number","limit must not be greater than 10000"]}')).toBe(
      'from must be a number\nlimit must not be greater than 10000',
    );
    expect(errorText(502, 'upstream down\n')).toBe('upstream down');
    expect(errorText(500, '')).toBe('HTTP 500');
  });
});

describe('console response shapes (docs/api.md)', () => {
  it('reads a flows page and a live event', () => {
    const r = { uid: 'a', seq: 0 };
    expect(recordsOf({ flows: [r], next: 'c' })).toEqual([r]);
    expect(recordsOf({ nothing: 1 })).toEqual([]);
    expect(liveRecordsOf(JSON.stringify(r))).toEqual([r]);
    expect(liveRecordsOf('{"no":"uid"}')).toEqual([]);
    expect(droppedOf('{"records":7}')).toBe(7);
  });

  it('flattens aggregate groups into key values beside metrics, and sums binned series per bin', () => {
    const body = {
      by: ['saddr', 'proto'],
      metrics: ['bytes', 'count'],
      bin: 10,
      records: false,
      groups: [
        {
          key: { saddr: '10.0.0.1', proto: 'tcp' },
          bytes: 5,
          count: 2,
          series: [
            { t: 20, bytes: 3, count: 1 },
            { t: 10, bytes: 2, count: 1 },
          ],
        },
        { key: { saddr: '10.0.0.2', proto: 'udp' }, bytes: 4, count: 1, series: [{ t: 10, bytes: 4, count: 1 }] },
      ],
    };
    expect(aggRowsOf(body)).toEqual([
      { saddr: '10.0.0.1', proto: 'tcp', bytes: 5, count: 2 },
      { saddr: '10.0.0.2', proto: 'udp', bytes: 4, count: 1 },
    ]);
    expect(seriesOf(body)).toEqual([
      { t: 10, bytes: 6, count: 2 },
      { t: 20, bytes: 3, count: 1 },
    ]);
    expect(aggRowsOf({ groups: [{ key: {}, bytes: 9 }] })).toEqual([{ bytes: 9 }]);
    expect(seriesOf({ groups: [{ key: {}, bytes: 9 }] })).toEqual([]);
  });

  it('reads plugin instances and per-group queues of the pipeline', () => {
    const p = pluginsOf({
      plugins: [
        {
          id: 's',
          use: 'sensor-pcap',
          kind: 'source',
          state: 'running',
          inputs: {},
          outputs: { flows: 'flows.raw' },
          config: {},
          stats: { recordsOut: '12' },
        },
      ],
    });
    expect(p[0]).toMatchObject({ id: 's', use: 'sensor-pcap', outputs: { flows: 'flows.raw' } });
    expect(stat(p[0].stats, 'recordsIn', 'recordsOut')).toBe(12);
    expect(stat(p[0].stats, 'nope')).toBeUndefined();
    expect(pluginsOf([{ id: 'bare array' }])).toEqual([]);
    const pipeline = {
      bus: 'embedded',
      nodes: [],
      edges: [],
      topics: [
        {
          name: 'flows.raw',
          producers: ['s'],
          consumers: ['store', 'file'],
          ratePerSec: 5,
          groups: [
            { group: 'store', depth: 3, capacity: 64, delivered: 10, ratePerSec: 5 },
            { group: 'file', depth: 0, delivered: 10, ratePerSec: 2 },
          ],
        },
      ],
    };
    expect(queuesOf(pipeline)).toEqual([
      { topic: 'flows.raw', group: 'store', depth: 3, capacity: 64, ratePerSec: 5 },
      { topic: 'flows.raw', group: 'file', depth: 0, capacity: undefined, ratePerSec: 2 },
    ]);
  });
});
