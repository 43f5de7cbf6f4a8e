import { AnyPluginManifest, ConfigIssue } from '@panoptes/plugin-sdk';
import { PluginEntry } from './config.schema';

/** A validated plugin instance with its topics resolved. */
export interface ResolvedInstance {
  readonly index: number;
  readonly id: string;
  /** `plugins[2] "geo" (enrich-geoip)`, for messages. */
  readonly where: string;
  readonly entry: PluginEntry;
  readonly manifest: AnyPluginManifest;
  config: object;
  readonly inputs: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * Checks the topic graph: every input topic written by some instance (or a
 * dead-letter topic), no cycle.
 */
export function checkGraph(instances: readonly ResolvedInstance[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const writers = new Map<string, ResolvedInstance[]>();
  for (const inst of instances)
    for (const t of Object.values(inst.outputs)) writers.set(t, [...(writers.get(t) ?? []), inst]);
  for (const inst of instances) {
    for (const [port, topic] of Object.entries(inst.inputs)) {
      if (!writers.has(topic) && !topic.endsWith('.dlq')) {
        issues.push({
          path: `plugins[${inst.index}].${inst.entry.inputs?.[port] ? `inputs.${port}` : 'input'}`,
          where: inst.where,
          message: `dangling topic "${topic}": no plugin writes it`,
        });
      }
    }
  }
  // Cycle: depth-first over instance → readers of its outputs.
  const readers = new Map<string, ResolvedInstance[]>();
  for (const inst of instances)
    for (const t of Object.values(inst.inputs)) readers.set(t, [...(readers.get(t) ?? []), inst]);
  const state = new Map<ResolvedInstance, 1 | 2>();
  const reported = new Set<string>();
  const visit = (inst: ResolvedInstance, stack: ResolvedInstance[]): void => {
    state.set(inst, 1);
    stack = [...stack, inst];
    for (const t of Object.values(inst.outputs)) {
      for (const next of readers.get(t) ?? []) {
        if (state.get(next) === 1) {
          const loop = [...stack.slice(stack.indexOf(next)), next].map((x) => x.id);
          const key = [...new Set(loop)].sort().join(',');
          if (!reported.has(key)) {
            reported.add(key);
            issues.push({
              path: `plugins[${next.index}]`,
              where: next.where,
              message: `topic cycle: ${loop.join(' -> ')}`,
            });
          }
        } else if (!state.has(next)) visit(next, stack);
      }
    }
    state.set(inst, 2);
  };
  for (const inst of instances) if (!state.has(inst)) visit(inst, []);
  return issues;
}

/** Ids must be unique across every entry, including ones whose plugin is unknown. */
export function checkIds(entries: readonly unknown[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const { id, use } = (e ?? {}) as { id?: unknown; use?: unknown };
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else {
      const where = `plugins[${i}] "${id}"${typeof use === 'string' ? ` (${use})` : ''}`;
      issues.push({
        path: `plugins[${i}].id`,
        where,
        message: `duplicate id "${id}", already used by plugins[${first}]`,
      });
    }
  });
  return issues;
}
