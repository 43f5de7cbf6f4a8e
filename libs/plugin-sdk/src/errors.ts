/**
 * Config and start-up errors, in the one format STYLE.md fixes:
 * `plugins[2] "geo" (enrich-geoip): cityDb: file not found: /x.mmdb`.
 */

/** One problem found in a config, with the path of the key it concerns. */
export interface ConfigIssue {
  /** Key path from the top of the file, e.g. `plugins[2].with.cityDb`. */
  readonly path: string;
  /** What is wrong: what was expected and what was found. */
  readonly message: string;
  /** Prefix naming the plugin instance, e.g. `plugins[2] "geo" (enrich-geoip)`. */
  readonly where?: string;
  /** 1-based line in the YAML file, when known. */
  readonly line?: number;
}

export function formatIssue(issue: ConfigIssue): string {
  const at = issue.line ? ` (line ${issue.line})` : '';
  if (issue.where) {
    const rel = issue.path.replace(/^plugins\[\d+\]\.?(with\.)?/, '');
    return `${issue.where}: ${rel ? `${rel}: ` : ''}${issue.message}${at}`;
  }
  return `${issue.path ? `${issue.path}: ` : ''}${issue.message}${at}`;
}

/** Thrown when a config is refused; carries every issue, not just the first. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid config (${issues.length} error${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Wraps a cause: says what failed first, then why. */
export class PluginError extends Error {
  constructor(what: string, cause?: unknown) {
    super(cause === undefined ? what : `${what}: ${errorMessage(cause)}`, { cause });
    this.name = 'PluginError';
  }
}

export function errorMessage(err: unknown): string {
  // Duck-typed: errors from another realm (vm contexts, test runners) fail instanceof.
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : String(err);
}
