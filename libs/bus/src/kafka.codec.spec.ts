import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { jsonCanonicalLines } from '@panoptes/capture';
import { withJsonLines } from '@panoptes/plugin-sdk';
import { decodeMessage, encodeRecords, murmur2, partitionForKey, utf8Lines } from './kafka.codec';
import { KafkaBusConfig } from './kafka.config';

// kafkajs's own murmur2 (the Java client's hash): our partitioning must agree with it.

const kafkajsMurmur2: (key: Buffer) => number = require('kafkajs/src/producer/partitioners/default/murmur2');

const opts = { partitions: 6, recordsPerMessage: 3, maxMessageBytes: 10_000 };

describe('kafka codec', () => {
  it('encodes lines joined by newlines exactly, wherever a line is not ASCII', () => {
    const sets = [
      [],
      [''],
      ['', ''],
      ['{"a":1}'],
      ['{"a":1}', '{"b":2}', ''],
      ['caf\u00e9', 'x', 'y'],
      ['x', '\u00e9a', 'y'],
      ['x', 'y', 'caf\u00e9'],
      ['\u00e9', ''],
      ['x', '\u00e9', '', ''],
      ['\u{1f600}', 'lone \udc00'],
      // One line each: ASCII or not.
      ['caf\u00e9'],
      ['\u00e9a'],
      ['x\u{1f600}y'],
      ['lone \ud800 surrogate'],
      ['z'.repeat(5000) + '\u00ff'],
      Array.from({ length: 1000 }, (_, i) => `{"uid":"${i}","n":${i}}`),
    ];
    for (const lines of sets) expect(utf8Lines(lines).equals(Buffer.from(lines.join('\n'), 'utf8'))).toBe(true);
  });

  it('hashes keys exactly as the Kafka clients do', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'Ümlaut ☃', 'c3f0e1d2-uid-0001', 'x'.repeat(1001)];
    for (const k of keys) expect(murmur2(Buffer.from(k))).toBe(kafkajsMurmur2(Buffer.from(k)));
    // Every key, one after another (a long key, then shorter ones), the way the producer partitions.
    for (const k of [...keys, ...keys.reverse(), 'é'.repeat(300), 'a'.repeat(256), 'a'.repeat(257)]) {
      expect(partitionForKey(k, 7)).toBe((kafkajsMurmur2(Buffer.from(k)) & 0x7fffffff) % 7);
    }
    // A fixed value guards against both implementations drifting together.
    expect(partitionForKey('flow-42', 6)).toBe((kafkajsMurmur2(Buffer.from('flow-42')) & 0x7fffffff) % 6);
  });

  it('puts every record of one key in one partition, packed in publish order', () => {
    const records = Array.from({ length: 40 }, (_, i) => ({ uid: `f${i % 5}`, seq: Math.floor(i / 5) }));
    const { messages, oversize } = encodeRecords(records, (r) => r.uid, opts);
    expect(oversize).toEqual([]);
    const seen = new Map<string, { partition: number; seqs: number[] }>();
    let total = 0;
    for (const m of messages) {
      const lines = m.value
        .toString()
        .split('\n')
        .map((l) => JSON.parse(l) as { uid: string; seq: number });
      expect(lines.length).toBeLessThanOrEqual(3);
      expect(m.headers['panoptes-records']).toBe(String(lines.length));
      total += lines.length;
      for (const r of lines) {
        const s = seen.get(r.uid) ?? { partition: m.partition, seqs: [] };
        expect(m.partition).toBe(s.partition);
        expect(m.partition).toBe(partitionForKey(r.uid, 6));
        s.seqs.push(r.seq);
        seen.set(r.uid, s);
      }
    }
    expect(total).toBe(40);
    for (const s of seen.values()) expect(s.seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('keys a message that holds a single record, and rotates unkeyed messages over partitions', () => {
    const single = encodeRecords([{ uid: 'u1' }], (r) => r.uid, { ...opts, recordsPerMessage: 1 });
    expect(single.messages).toEqual([
      expect.objectContaining({ key: 'u1', value: Buffer.from('{"uid":"u1"}'), partition: partitionForKey('u1', 6) }),
    ]);
    const unkeyed = encodeRecords(
      Array.from({ length: 9 }, (_, i) => ({ i })),
      undefined,
      opts,
      4,
    );
    expect(unkeyed.messages.map((m) => m.partition)).toEqual([4, 5, 0]);
    expect(unkeyed.messages.every((m) => m.key === undefined)).toBe(true);
  });

  it('splits by bytes and sets aside a record larger than a message', () => {
    const big = { uid: 'b', blob: 'x'.repeat(500) };
    const { messages, oversize } = encodeRecords([big, big, { uid: 'h', blob: 'y'.repeat(20_000) }], (r) => r.uid, {
      ...opts,
      maxMessageBytes: 1_000,
    });
    expect(messages).toHaveLength(2);
    expect(oversize).toHaveLength(1);
    expect(oversize[0].bytes).toBe(JSON.stringify({ uid: 'h', blob: 'y'.repeat(20_000) }).length);
  });

  it('sends the JSON text a batch carries instead of encoding its records again', () => {
    const texts = ['{ "uid": "a", "seq": 0 }', '{"seq":1,"uid":"a"}'];
    const records = withJsonLines(
      [
        { uid: 'a', seq: 0 },
        { seq: 1, uid: 'a' },
      ],
      texts,
    );
    const { messages } = encodeRecords(records, (r) => r.uid, opts);
    expect(messages).toHaveLength(1);
    expect(messages[0].value.toString()).toBe(texts.join('\n'));
    expect(messages[0].partition).toBe(partitionForKey('a', opts.partitions));
    // A new array (here the same records, filtered) has no texts: its records are encoded.
    expect(
      encodeRecords(
        records.filter(() => true),
        (r) => r.uid,
        opts,
      ).messages[0].value.toString(),
    ).toBe('{"uid":"a","seq":0}\n{"seq":1,"uid":"a"}');
  });

  it('decodes good lines and returns each bad one with its reason', () => {
    const value = Buffer.from('{"a":1}\nnot json{\n42\n\n{"a":2}\n[1]');
    const { records, bad } = decodeMessage(value);
    expect(records).toEqual([{ a: 1 }, { a: 2 }]);
    expect(bad.map((b) => b.raw)).toEqual(['not json{', '42', '[1]']);
    expect(bad[0].reason).toMatch(/^line 2: invalid JSON: /);
    expect(bad[1].reason).toBe('line 3: expected a JSON object, found number');
    expect(bad[2].reason).toBe('line 6: expected a JSON object, found an array');
    expect(decodeMessage(null)).toEqual({ records: [], bad: [{ reason: 'empty message', raw: '' }], whole: false });
    expect(decodeMessage(value).whole).toBe(false);
  });

  it('hands canonical lines on without their carriage return, ASCII or not', () => {
    const value = Buffer.from('{"a":"x"}\r\n{"city":"Zürich ☃"}\n{"b":2}');
    const { records, whole } = decodeMessage(value, {});
    expect(records).toEqual(['{"a":"x"}', '{"city":"Zürich ☃"}', '{"b":2}']);
    // The texts no longer spell the value byte for byte: not whole.
    expect(whole).toBe(false);
    expect(decodeMessage(Buffer.from('{"a":"x"}\n{"city":"Zürich ☃"}'), {}).whole).toBe(true);
  });

  it('hands canonical lines on as text records and decodes every other line as decodeMessage does', () => {
    // Good objects, blank lines (JSON and JavaScript whitespace), scalars, arrays, broken JSON,
    // a byte that is not UTF-8, a lone surrogate escape, deep nesting, a last canonical line.
    const value = Buffer.concat([
      Buffer.from('{"a":1}\n  { "b" : [1, {"c": null}] } \r\n\n \t\n\u000b\n42\n[1]\n{"a":\n"x"}\n{} {}\n'),
      Buffer.from([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]),
      Buffer.from('{"u":"\\ud800"}\n' + '{"d":'.repeat(200) + '1' + '}'.repeat(200) + '\n{"last":true}'),
    ]);
    expect(Array.from(jsonCanonicalLines(value))).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    const text = decodeMessage(value, {});
    const out = text.records;
    const decoded = decodeMessage(value);
    expect(out.map((r) => typeof r)).toEqual(['string', 'object', 'object', 'object', 'object', 'string']);
    expect(out.map((r) => (typeof r === 'string' ? JSON.parse(r) : r))).toEqual(decoded.records);
    expect(out.length).toBe(6);
    expect(text.whole).toBe(false);
    expect(text.bad).toEqual(decoded.bad);
    expect(text.bad.map((b) => b.reason.replace(/:.*/, ''))).toEqual([
      'line 6',
      'line 7',
      'line 8',
      'line 9',
      'line 10',
    ]);
    expect(decodeMessage(null, {})).toEqual({
      records: [],
      bad: [{ reason: 'empty message', raw: '' }],
      whole: false,
    });
  });

  it('hands a message of flow records on as exactly their lines', () => {
    const records = Array.from({ length: 500 }, (_, i) => ({
      uid: `f${i}`,
      saddr: '10.0.0.1',
      sbytes: i * 1.5,
      n: 'é☃',
    }));
    const lines = records.map((r) => JSON.stringify(r));
    expect(decodeMessage(Buffer.from(lines.join('\n')), {})).toEqual({ records: lines, bad: [], whole: true });
  });

  it('sends a text record as itself, keyed by the key of its text', () => {
    const { messages } = encodeRecords(
      ['{"uid":"a","seq":0}', { uid: 'a', seq: 1 }],
      (r) => (typeof r === 'string' ? 'a' : r.uid),
      opts,
    );
    expect(messages.map((m) => m.value.toString())).toEqual(['{"uid":"a","seq":0}\n{"uid":"a","seq":1}']);
  });
});

describe('KafkaBusConfig', () => {
  const check = (plain: object) =>
    validateSync(plainToInstance(KafkaBusConfig, plain, { exposeDefaultValues: true }), {
      whitelist: true,
      forbidNonWhitelisted: true,
    }).flatMap((e) => Object.values(e.constraints ?? {}));

  it('accepts brokers alone and fills every default', () => {
    expect(check({ type: 'kafka', brokers: ['127.0.0.1:9092'] })).toEqual([]);
    const c = plainToInstance(KafkaBusConfig, { type: 'kafka', brokers: ['k:9092'] }, { exposeDefaultValues: true });
    expect(c).toMatchObject({
      partitions: 6,
      replicationFactor: 1,
      compression: 'lz4',
      idempotent: true,
      groupPrefix: 'panoptes.',
    });
  });

  it('names every bad option', () => {
    const errors = check({
      type: 'kafka',
      brokers: ['nohost'],
      partitions: 0,
      compression: 'lz5',
      sessionTimeoutMs: 10,
      extra: 1,
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        'each broker must be host:port',
        'partitions must not be less than 1',
        'compression must be one of the following values: none, gzip, lz4',
        'sessionTimeoutMs must not be less than 6000',
        'property extra should not exist',
      ]),
    );
    expect(check({ type: 'kafka', brokers: [] })).toContain('brokers should not be empty');
  });
});
