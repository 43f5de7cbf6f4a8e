/**
 * A batch of records may carry the JSON text of each of its records: the
 * line the Kafka bus decoded them from.
 * A writer of JSON (the Kafka bus publishing, sink-file writing JSON lines)
 * then uses that text instead of encoding the records again; parsing and
 * re-encoding a record that nobody changed is pure cost.
 *
 * The texts ride on the batch array itself, under a symbol, so any new array
 * (filter, map, slice, a transform's output) starts without them: only the
 * very batch whose records were decoded from those texts carries them. Who
 * attaches texts promises that `JSON.parse(texts[i])` gives `records[i]` and
 * that nobody changes those records afterwards (records handed to a plugin
 * are never modified in place; a transform emits copies).
 */
const JSON_LINES = Symbol.for('panoptes.jsonLines');

type WithLines = { [JSON_LINES]?: readonly string[] };

/** Attaches to `records` the JSON text of each record (same length, same order); returns `records`. */
export function withJsonLines<T>(records: T[], texts: readonly string[]): T[] {
  if (texts.length !== records.length) throw new Error(`${texts.length} JSON texts for ${records.length} records`);
  // Not enumerable: the batch still compares and prints as the plain array it is.
  Object.defineProperty(records, JSON_LINES, { value: texts, configurable: true, writable: true });
  return records;
}

/** The JSON text of each record of this very batch, when it has them. */
export function jsonLines(records: readonly unknown[]): readonly string[] | undefined {
  const texts = (records as WithLines)[JSON_LINES];
  return texts && texts.length === records.length ? texts : undefined;
}
