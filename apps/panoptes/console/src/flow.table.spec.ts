import { FlowTable, rowBytes, rowPkts, rowRate } from './flow.table';

const rec = (
  uid: string,
  seq: number,
  stime: number,
  ltime: number,
  sbytes: number,
  dbytes: number,
  rtype = 'status',
) => ({
  uid,
  seq,
  rtype,
  stime,
  ltime,
  spkts: 1,
  dpkts: 1,
  sbytes,
  dbytes,
  saddr: '10.0.0.1',
  daddr: '10.0.0.2',
});

describe('FlowTable', () => {
  it('sums delta counters of one flow and keeps its latest record', () => {
    const t = new FlowTable();
    expect(t.add([rec('a', 0, 100, 101, 10, 20), rec('a', 1, 101, 104, 30, 40, 'final')])).toBe(2);
    const row = t.get('a')!;
    expect(rowBytes(row)).toBe(100);
    expect(rowPkts(row)).toBe(4);
    expect(row.stime).toBe(100);
    expect(row.ltime).toBe(104);
    expect(row.final).toBe(true);
    expect(row.last.seq).toBe(1);
    expect(rowRate(row)).toBe(25);
  });

  it('counts a record seen twice (back-fill and live) once', () => {
    const t = new FlowTable();
    t.add([rec('a', 0, 100, 101, 10, 20)]);
    expect(t.add([rec('a', 0, 100, 101, 10, 20), 'junk', { seq: 3 }])).toBe(0);
    expect(rowBytes(t.get('a')!)).toBe(30);
  });

  it('takes a merged flow from the back-fill as its totals and adds only later records', () => {
    const t = new FlowTable();
    // The store merged seq 0..2 into one row carrying the latest seq.
    expect(t.addMerged([rec('a', 2, 100, 103, 60, 90)])).toBe(1);
    expect(t.add([rec('a', 1, 101, 102, 10, 10), rec('a', 2, 102, 103, 10, 10)])).toBe(0);
    expect(rowBytes(t.get('a')!)).toBe(150);
    expect(t.add([rec('a', 3, 103, 105, 5, 5, 'final')])).toBe(1);
    const row = t.get('a')!;
    expect([rowBytes(row), row.ltime, row.final, row.records]).toEqual([160, 105, true, 4]);
    // A reconnect's back-fill replaces the folded totals; an older merged row changes nothing.
    expect(t.addMerged([rec('a', 3, 100, 105, 65, 95, 'final')])).toBe(1);
    expect(rowBytes(t.get('a')!)).toBe(160);
    expect(t.addMerged([rec('a', 2, 100, 103, 60, 90)])).toBe(0);
    expect(rowBytes(t.get('a')!)).toBe(160);
  });

  it('sorts by rate, bytes or packets, largest first, ties by uid', () => {
    const t = new FlowTable();
    t.add([
      rec('slow-big', 0, 0, 100, 5000, 5000),
      rec('fast-small', 0, 0, 1, 300, 300),
      rec('instant', 0, 5, 5, 900, 0),
    ]);
    expect(t.sorted('bytes').map((r) => r.uid)).toEqual(['slow-big', 'instant', 'fast-small']);
    expect(t.sorted('rate').map((r) => r.uid)).toEqual(['fast-small', 'slow-big', 'instant']);
    // All three have 2 packets: the tie falls back to uid order.
    expect(t.sorted('pkts').map((r) => r.uid)).toEqual(['fast-small', 'instant', 'slow-big']);
    expect(t.sorted('bytes', true, 1).map((r) => r.uid)).toEqual(['fast-small']);
  });

  it('evicts the least recently updated flows beyond its bound', () => {
    const t = new FlowTable(2);
    t.add([rec('a', 0, 0, 1, 1, 1), rec('b', 0, 0, 1, 1, 1)]);
    t.add([rec('a', 1, 1, 2, 1, 1)]);
    t.add([rec('c', 0, 0, 1, 1, 1)]);
    expect(
      t
        .sorted('ltime')
        .map((r) => r.uid)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(t.size).toBe(2);
  });
});
