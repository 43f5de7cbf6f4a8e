import { jsonLines, withJsonLines } from './json.lines';

describe('JSON lines carried by a batch', () => {
  it('rides on the very batch, invisibly, and not on any array made from it', () => {
    const texts = ['{"uid":"a"}', '{ "uid": "b" }'];
    const batch = withJsonLines([{ uid: 'a' }, { uid: 'b' }], texts);
    expect(jsonLines(batch)).toBe(texts);
    // Still compares, spreads and prints as a plain array of records.
    expect(batch).toEqual([{ uid: 'a' }, { uid: 'b' }]);
    expect(Object.keys(batch)).toEqual(['0', '1']);
    expect(JSON.stringify(batch)).toBe('[{"uid":"a"},{"uid":"b"}]');
    expect(jsonLines(batch.filter(() => true))).toBeUndefined();
    expect(jsonLines(batch.slice())).toBeUndefined();
    expect(jsonLines([...batch])).toBeUndefined();
    expect(jsonLines([{ uid: 'a' }])).toBeUndefined();
  });

  it('refuses texts that do not match the records one for one, and forgets them once the batch grows', () => {
    expect(() => withJsonLines([{ uid: 'a' }], [])).toThrow('0 JSON texts for 1 records');
    const batch = withJsonLines([{ uid: 'a' }], ['{"uid":"a"}']);
    batch.push({ uid: 'b' });
    expect(jsonLines(batch)).toBeUndefined();
  });
});
