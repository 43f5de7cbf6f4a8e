/**
 * How records travel in Kafka messages. A message value holds one or more
 * records as newline-separated JSON (one JSON object per line), so a message
 * with one record is plain JSON any Kafka tool reads, and packing many records
 * per message keeps the per-message cost of the client low. Records are
 * assigned to partitions by their key with Kafka's own murmur2 partitioning,
 * the choice a Java producer makes for the same key, so every record of a flow
 * lands in one partition whoever produced it.
 *
 * A text record (a string: see isTextRecord in the plugin SDK) is sent as
 * itself, and a record whose batch carries its JSON text (jsonLines) as that
 * text, rather than encoded again (jsonTextsOf). Decoding hands a subscriber
 * that takes text records its canonical lines as text records, unparsed.
 */
import { jsonCanonicalLinesIfBuilt, LINE_CANONICAL, LINE_WATCHED, lineText } from '@panoptes/capture';
import { jsonTextsOf, TextInput } from '@panoptes/plugin-sdk';

export const RECORDS_HEADER = 'panoptes-records';
export const CONTENT_TYPE_HEADER = 'content-type';
export const CONTENT_TYPE = 'application/x-ndjson';

export interface EncodeOptions {
  readonly partitions: number;
  readonly recordsPerMessage: number;
  readonly maxMessageBytes: number;
}

export interface EncodedMessage {
  partition: number;
  /** Set when the message holds one record that has a key. */
  key?: string;
  /** The records' UTF-8 JSON lines (a Buffer, what the producer writes; a string from other callers). */
  value: Buffer | string;
  headers: Record<string, string>;
}

/** A record too large for one message; the bus dead-letters it rather than failing the batch. */
export interface Oversize {
  readonly record: unknown;
  readonly bytes: number;
}

/** Encodes records into messages, per partition, in publish order within each partition. */
export function encodeRecords<T>(
  records: readonly T[],
  key: ((record: T) => string) | undefined,
  options: EncodeOptions,
  roundRobinStart = 0,
): { messages: EncodedMessage[]; oversize: Oversize[] } {
  const { partitions, recordsPerMessage, maxMessageBytes } = options;
  const open = new Map<number, { lines: string[]; bytes: number; key?: string }>();
  const messages: EncodedMessage[] = [];
  const oversize: Oversize[] = [];
  const texts = jsonTextsOf(records);
  const flush = (partition: number): void => {
    const m = open.get(partition);
    if (!m || m.lines.length === 0) return;
    open.delete(partition);
    messages.push({
      partition,
      key: m.lines.length === 1 ? m.key : undefined,
      value: utf8Lines(m.lines),
      headers: { [CONTENT_TYPE_HEADER]: CONTENT_TYPE, [RECORDS_HEADER]: String(m.lines.length) },
    });
  };
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const k = key ? key(record) : undefined;
    // Without a key, whole messages rotate over the partitions.
    const partition = k
      ? partitionForKey(k, partitions)
      : (roundRobinStart + Math.floor(i / recordsPerMessage)) % partitions;
    const line = texts[i];
    // Length in UTF-16 units is a lower bound for UTF-8 bytes; measure exactly only near the limit.
    const bytes = line.length * 3 < maxMessageBytes ? line.length : Buffer.byteLength(line);
    if (bytes > maxMessageBytes) {
      oversize.push({ record, bytes: Buffer.byteLength(line) });
      continue;
    }
    let m = open.get(partition);
    if (m && (m.lines.length >= recordsPerMessage || m.bytes + bytes + 1 > maxMessageBytes)) {
      flush(partition);
      m = undefined;
    }
    if (!m) open.set(partition, (m = { lines: [], bytes: 0, key: k || undefined }));
    m.lines.push(line);
    m.bytes += bytes + 1;
  }
  for (const partition of [...open.keys()]) flush(partition);
  return { messages, oversize };
}

const encoder = new TextEncoder();

/**
 * Lines joined by newlines, as UTF-8 bytes, for the producer (which would
 * otherwise run Buffer.from on a string; TextEncoder.encodeInto takes the
 * vectorised path Node has for it). Records are nearly always ASCII: each
 * line is encoded straight into a buffer of one byte per character, with
 * no joined string between (a third less time than joining, on 1,000-line
 * messages of flow records). If that did not come out exact, some line was
 * not ASCII, and the joined text is measured and encoded instead.
 */
export function utf8Lines(lines: readonly string[]): Buffer {
  if (lines.length === 0) return Buffer.alloc(0);
  let size = lines.length - 1;
  for (let i = 0; i < lines.length; i++) size += lines[i].length;
  const out = Buffer.allocUnsafe(size);
  if (asciiLinesInto(lines, out)) return out;
  const text = lines.join('\n');
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(text));
  encoder.encodeInto(text, bytes);
  return bytes;
}

/**
 * Encodes the lines, newline-separated, into `out`, sized at one byte per
 * character; true when they filled it exactly. A line that was not ASCII
 * either does not fit whole or fits only in room meant for the lines after
 * it, and then the total is over: false either way.
 */
function asciiLinesInto(lines: readonly string[], out: Buffer): boolean {
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) out[at++] = 0x0a;
    const line = lines[i];
    const { read, written } = encoder.encodeInto(line, out.subarray(at));
    if (read !== line.length) return false;
    at += written;
  }
  return at === out.length;
}

/** A message part that could not be decoded, with why. */
export interface Undecodable {
  readonly reason: string;
  /** The offending line, or the whole value when it has none. */
  readonly raw: string;
}

/**
 * Decodes one message value into records; bad lines are returned, never
 * thrown. With `text` (a subscriber that takes text records), a line
 * natively checked to be a canonical flat JSON object, holding none of the
 * keys `text.parseIfKeys`, is handed on as that string, unparsed (see
 * isTextRecord); every other line is parsed, and accepted or refused the
 * same way either mode. `whole`: every line became a text record, so the
 * value is exactly their texts, newline-separated.
 */
export function decodeMessage(
  value: Buffer | null,
  text?: TextInput,
): { records: unknown[]; bad: Undecodable[]; whole: boolean } {
  const records: unknown[] = [];
  const bad: Undecodable[] = [];
  if (value === null || value.length === 0) {
    return { records, bad: [{ reason: 'empty message', raw: '' }], whole: false };
  }
  const flags = text ? jsonCanonicalLinesIfBuilt(value, text.parseIfKeys) : undefined;
  let start = 0;
  let texts = 0;
  for (let lineNo = 1; start <= value.length; lineNo++) {
    let end = value.indexOf(10, start);
    if (end < 0) end = value.length;
    const flag = flags === undefined ? 0 : flags[lineNo - 1];
    // A canonical line holding no key of parseIfKeys is a text record.
    if ((flag & (LINE_CANONICAL | LINE_WATCHED)) === LINE_CANONICAL) {
      texts++;
      records.push(lineText(value, start, end, flag));
    } else {
      const record = parseLine(value.toString('utf8', start, end), lineNo, bad);
      if (record !== undefined) records.push(record);
    }
    start = end + 1;
  }
  // A canonical line holds no raw CR, so a CR in the value ended a line: its
  // texts, which leave it out, no longer spell the value.
  return { records, bad, whole: flags !== undefined && texts === flags.length && value.indexOf(13) < 0 };
}

/** A line's record; undefined for a blank line, or a bad one (added to `bad`). */
function parseLine(line: string, lineNo: number, bad: Undecodable[]): object | undefined {
  if (line.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    bad.push({ reason: `line ${lineNo}: invalid JSON: ${(err as Error).message}`, raw: line });
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const found = Array.isArray(parsed) ? 'an array' : typeof parsed;
    bad.push({ reason: `line ${lineNo}: expected a JSON object, found ${found}`, raw: line });
    return undefined;
  }
  return parsed;
}

/** Kafka's default partitioner for a keyed record: murmur2 of the UTF-8 key, made positive, modulo partitions. */
export function partitionForKey(key: string, partitions: number): number {
  const n = asciiCodes(key);
  return ((n >= 0 ? murmur2(codes, n) : murmur2(Buffer.from(key, 'utf8'))) & 0x7fffffff) % partitions;
}

const codes = new Uint8Array(256);

/**
 * Copies an ASCII key's bytes, which are its character codes, to `codes`
 * and returns how many; -1 for a longer key or one with any other
 * character. Spares a Buffer per record: flow uids are short and ASCII.
 */
function asciiCodes(key: string): number {
  if (key.length > codes.length) return -1;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return -1;
    codes[i] = c;
  }
  return key.length;
}

/** MurmurHash2 (32-bit) of data's first `length` bytes as Kafka's clients compute it: seed 0x9747b28c, little-endian words. */
export function murmur2(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) {
    h ^= data[whole];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
