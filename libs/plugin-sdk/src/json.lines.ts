/**
 * A batch of records may carry the JSON text of its records: the line the
 * Kafka bus decoded each from, or a source's input line already spelled as
 * JSON.stringify spells it.
 * A writer of JSON (the Kafka bus publishing, sink-file writing JSON lines)
 * then uses that text instead of encoding the records again; parsing and
 * re-encoding a record that nobody changed is pure cost.
 *
 * The texts ride on the batch array itself, under a symbol, so any new array
 * (filter, map, slice, a transform's output) starts without them: only the
 * very batch whose records were decoded from those texts carries them. Who
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

/** Each record's JSON text: the one it carries, or JSON.stringify's. */
export function jsonTextsOf(records: readonly unknown[]): string[] {
  const texts = jsonLines(records);
  const out = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) out[i] = texts?.[i] ?? JSON.stringify(records[i]);
  return out;
}

/**
 * A batch given as its records' JSON text alone, for a handler whose plugin
 * declared `textInput` (it only writes each record's text): the elements are
 * the texts themselves, each checked to be one JSON object but never parsed,
 * and `jsonLines()` of the batch returns them.
 */
export function textBatch(texts: string[]): unknown[] {
  return withJsonLines(texts, texts);
}
