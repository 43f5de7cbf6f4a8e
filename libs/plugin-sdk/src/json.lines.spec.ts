import { isTextRecord, jsonLines, jsonTextsOf, textField, withJsonLines } from './json.lines';
import { textInputOf } from './plugin.contract';

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

  it('looks from a hint first and still finds a field that comes before it', () => {
    const daddr = textField('daddr');
    const rec = JSON.stringify({ uid: 'u', saddr: '10.0.0.1', x: 'a\\"b', daddr: '10.0.0.2' });
    expect(saddr(rec)).toBe('10.0.0.1');
    expect(rec.slice(saddr.end, saddr.end + 5)).toBe(',"x":');
    expect(daddr(rec, saddr.end)).toBe('10.0.0.2');
    expect(daddr.end).toBe(rec.length - 1);
    // daddr before saddr; the first key; a hint past the end; an escaped value's end.
    const back = JSON.stringify({ daddr: 'd"1', saddr: 's1' });
    expect(saddr(back)).toBe('s1');
    expect(daddr(back, saddr.end)).toBe('d"1');
    expect(back.slice(daddr.end, daddr.end + 9)).toBe(',"saddr":');
    expect(daddr(JSON.stringify({ uid: 'u', daddr: 'd2', saddr: 's2' }), 1000)).toBe('d2');
    expect(daddr('{"uid":"u"}', 5)).toBeUndefined();
  });

  it("turns a manifest's textInput answer into what a bus takes", () => {
    expect(textInputOf(undefined)).toBeUndefined();
    expect(textInputOf(false)).toBeUndefined();
    expect(textInputOf(true)).toEqual({});
    const keys = { parseIfKeys: ['sco'] };
    expect(textInputOf(keys)).toBe(keys);
  });

  it('writes a text record as itself and other records as their carried or encoded text', () => {
    const batch = withJsonLines(['{"uid":"a"}', { uid: 'b' }, { uid: 'c' }], [undefined, undefined, '{"uid":"c"}']);
    expect(jsonTextsOf(batch)).toEqual(['{"uid":"a"}', '{"uid":"b"}', '{"uid":"c"}']);
    expect(isTextRecord(batch[0])).toBe(true);
    expect(isTextRecord(batch[1])).toBe(false);
  });
});
