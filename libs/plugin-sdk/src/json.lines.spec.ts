import { isTextRecord, jsonLines, jsonTextsOf, textField, withJsonLines } from './json.lines';

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

describe('text records', () => {
  const saddr = textField('saddr');

  it('reads a top-level string field off the text, first, later or escaped', () => {
    expect(saddr('{"saddr":"10.0.0.1","daddr":"10.0.0.2"}')).toBe('10.0.0.1');
    expect(saddr('{"uid":"a","saddr":"10.0.0.1"}')).toBe('10.0.0.1');
    expect(saddr(JSON.stringify({ saddr: 'a"b\\c' }))).toBe('a"b\\c');
    expect(saddr(JSON.stringify({ uid: 'x', saddr: 'tab\tand "quote"' }))).toBe('tab\tand "quote"');
  });

  it('finds no field where there is none, or where it is no string, or only inside a value', () => {
    expect(saddr('{"uid":"a"}')).toBeUndefined();
    expect(saddr('{"saddr":17,"daddr":"x"}')).toBeUndefined();
    expect(saddr('{"xsaddr":"1"}')).toBeUndefined();
    expect(saddr(JSON.stringify({ note: ',"saddr":"1.1.1.1"' }))).toBeUndefined();
    expect(saddr(JSON.stringify({ note: ',"saddr":"1.1.1.1"', saddr: '2.2.2.2' }))).toBe('2.2.2.2');
  });

  it('writes a text record as itself and other records as their carried or encoded text', () => {
    const batch = withJsonLines(['{"uid":"a"}', { uid: 'b' }, { uid: 'c' }], [undefined, undefined, '{"uid":"c"}']);
    expect(jsonTextsOf(batch)).toEqual(['{"uid":"a"}', '{"uid":"b"}', '{"uid":"c"}']);
    expect(isTextRecord(batch[0])).toBe(true);
    expect(isTextRecord(batch[1])).toBe(false);
  });
});
