import { layoutGraph } from './graph.layout';

describe('layoutGraph', () => {
  const plugins = [
    { id: 'store', kind: 'sink', inputs: { flows: 'flows.geo' }, outputs: {} },
    { id: 'sensor', kind: 'source', inputs: {}, outputs: { flows: 'flows.raw', dns: 'dns.answers' } },
    { id: 'geo', kind: 'transform', inputs: { flows: 'flows.raw' }, outputs: { flows: 'flows.geo' } },
    { id: 'archive', kind: 'sink', inputs: { flows: 'flows.geo' }, outputs: {} },
  ];

  it('puts sources left, sinks right and topics in between', () => {
    const g = layoutGraph(plugins);
    const col = (key: string) => g.nodes.find((n) => n.key === key)!.col;
    expect(col('plugin:sensor')).toBe(0);
    expect(col('topic:flows.raw')).toBe(1);
    expect(col('topic:dns.answers')).toBe(1);
    expect(col('plugin:geo')).toBe(2);
    expect(col('topic:flows.geo')).toBe(3);
    expect(col('plugin:store')).toBe(4);
    expect(col('plugin:archive')).toBe(4);
    expect(g.nodes).toHaveLength(7);
  });

  it('links producers to topics and topics to consumers', () => {
    const g = layoutGraph(plugins);
    expect(g.edges).toEqual(
      expect.arrayContaining([
        { from: 'plugin:sensor', to: 'topic:flows.raw' },
        { from: 'topic:flows.raw', to: 'plugin:geo' },
        { from: 'plugin:geo', to: 'topic:flows.geo' },
        { from: 'topic:flows.geo', to: 'plugin:store' },
        { from: 'topic:flows.geo', to: 'plugin:archive' },
      ]),
    );
    expect(g.edges).toHaveLength(6);
  });

  it('gives nodes of one column distinct rows and fits them in the box', () => {
    const g = layoutGraph(plugins, { colWidth: 100, rowHeight: 50, margin: 10 });
    const sinks = g.nodes.filter((n) => n.col === 4);
    expect(new Set(sinks.map((n) => n.y)).size).toBe(2);
    expect(g.width).toBe(10 * 2 + 5 * 100);
    for (const n of g.nodes) expect(n.y + 50).toBeLessThanOrEqual(g.height);
  });

  it('survives a cycle and a topic fed from outside this process', () => {
    const g = layoutGraph([
      { id: 'a', kind: 'transform', inputs: { in: 'x' }, outputs: { out: 'y' } },
      { id: 'b', kind: 'transform', inputs: { in: 'y' }, outputs: { out: 'x' } },
      { id: 'c', kind: 'sink', inputs: { in: 'kafka.only' }, outputs: {} },
    ]);
    expect(g.nodes.map((n) => n.key).sort()).toEqual([
      'plugin:a',
      'plugin:b',
      'plugin:c',
      'topic:kafka.only',
      'topic:x',
      'topic:y',
    ]);
  });
});
