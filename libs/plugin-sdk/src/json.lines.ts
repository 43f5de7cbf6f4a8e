/**
 * A batch of records may carry the JSON text of its records: a source's
 * input line already spelled as JSON.stringify spells the record.
 * A writer of JSON (the Kafka bus publishing, sink-file writing JSON lines)
 * then uses that text instead of encoding the records again; parsing and
 * re-encoding a record that nobody changed is pure cost.
 *
 * The texts ride on the batch array itself, under a symbol, so any new array
 * (filter, map, slice, a transform's output) starts without them: only the
 * very batch whose records were parsed from those texts carries them. Who
 * attaches texts promises that `JSON.parse(texts[i])` gives `records[i]` and
 * that nobody changes those records afterwards (records handed to a plugin
 * are never modified in place; a transform emits copies). A text may be
 * undefined: that record has none at hand and is encoded as usual.
 */
const JSON_LINES = Symbol.for('panoptes.jsonLines');

export type JsonTexts = readonly (string | undefined)[];

type WithLines = { [JSON_LINES]?: JsonTexts };

/** Attaches to `records` the JSON text of each record (same length, same order); returns `records`. */
export function withJsonLines<T>(records: T[], texts: JsonTexts): T[] {
  if (texts.length !== records.length) throw new Error(`${texts.length} JSON texts for ${records.length} records`);
  // Not enumerable: the batch still compares and prints as the plain array it is.
  Object.defineProperty(records, JSON_LINES, { value: texts, configurable: true, writable: true });
  return records;
}

/** The JSON text of each record of this very batch (undefined where it has none), when it has them. */
export function jsonLines(records: readonly unknown[]): JsonTexts | undefined {
  const texts = (records as WithLines)[JSON_LINES];
  return texts && texts.length === records.length ? texts : undefined;
}

/** Each record's JSON text: a text record itself, the text a record carries, or JSON.stringify's. */
export function jsonTextsOf(records: readonly unknown[]): string[] {
  const texts = jsonLines(records);
  const out = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    out[i] = typeof r === 'string' ? r : (texts?.[i] ?? JSON.stringify(r));
  }
  return out;
}

/**
 * Text records. Over Kafka a record may reach a plugin that declared
 * `textInput`, and leave any plugin whose context has `textOutput`, as its
 * JSON text alone: a string element of the batch holding one flat JSON
 * object (no object nested in it) spelled exactly as JSON.stringify spells
 * it, checked natively where it was read. Parsing it gives the record; its
 * top-level fields can also be read off the text (textField).
 */
export function isTextRecord(r: unknown): r is string {
  return typeof r === 'string';
}

/** Reads one top-level string field of text records (see textField). */
export interface TextFieldReader {
  /**
   * The field's value, or undefined. `from`: where to look first, such as
   * where another field of the same record ended (`end`); the field is
   * still found if it comes earlier.
   */
  (text: string, from?: number): string | undefined;
  /** The index after the closing quote of the value last read. */
  end: number;
}

/**
 * Reads one top-level string field of a text record, or undefined when the
 * record has no such field or its value is not a string. In a canonical flat
 * object `,"name":` or a leading `{"name":` can only be that key: a quote
 * inside a string is always escaped, and no key repeats.
 */
export function textField(name: string): TextFieldReader {
  const first = `{"${name}":"`;
  const later = `,"${name}":"`;
  const read = (text: string, from = 0): string | undefined => {
    let at = text.startsWith(first) ? 0 : text.indexOf(later, from);
    if (at < 0 && from > 0) at = text.lastIndexOf(later, from);
    if (at < 0) return undefined;
    at += later.length;
    const end = text.indexOf('"', at);
    if (end < 0) return undefined;
    const value = text.slice(at, end);
    if (!value.includes('\\')) {
      read.end = end + 1;
      return value;
    }
    return escapedString(text, at, read);
  };
  read.end = 0;
  return read;
}

/** The string starting at `at` (after its opening quote) when it holds escapes: decoded by JSON.parse. */
function escapedString(text: string, at: number, reader: { end: number }): string | undefined {
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) {
      reader.end = i + 1;
      return JSON.parse(text.slice(at - 1, i + 1)) as string;
    }
  }
  return undefined;
}

const JSON_BYTES = Symbol.for('panoptes.jsonBytes');

type WithBytes = { [JSON_BYTES]?: readonly Buffer[] };

/**
 * Attaches to a batch of text records the bytes they were read from: the
 * chunks, joined by newlines, are exactly the records' texts joined by
 * newlines (a Kafka consumer attaches the messages a batch came in whole).
 * A writer of JSON lines may write the bytes instead of the strings. Like
 * jsonLines, this rides on the very array only.
 */
export function withJsonBytes<T>(records: T[], chunks: readonly Buffer[]): T[] {
  Object.defineProperty(records, JSON_BYTES, { value: chunks, configurable: true, writable: true });
  return records;
}

/** The bytes of this very batch's records (see withJsonBytes), when attached. */
export function jsonBytes(records: readonly unknown[]): readonly Buffer[] | undefined {
  return (records as WithBytes)[JSON_BYTES];
}
