/**
 * The `filter:` of a plugin instance: an ra filter expression compiled once
 * into a predicate over the records the instance reads. Until the filter
 * compiler exists (libs/flow/src/filter) only an empty filter is accepted.
 */
export function inputFilter(expr: string | undefined): ((r: unknown) => boolean) | undefined {
  if (!expr || !expr.trim()) return undefined;
  throw new Error('filter expressions are not supported yet');
}
