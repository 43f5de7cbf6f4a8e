import { compileFilter } from '@panoptes/flow';

/**
 * The `filter:` of a plugin instance: an ra filter expression compiled once
 * into a predicate over the records the instance reads. The config loader has
 * already compiled it once to report errors, so this does not throw on a
 * loaded config.
 */
export function inputFilter(expr: string | undefined): ((r: unknown) => boolean) | undefined {
  if (!expr || !expr.trim()) return undefined;
  // The compiled predicate itself, not a wrapper: it runs once per record.
  return compileFilter(expr) as (r: unknown) => boolean;
}
