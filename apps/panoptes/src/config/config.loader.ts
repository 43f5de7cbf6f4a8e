import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, Document } from 'yaml';
import { BUS_TYPES } from '@panoptes/bus';
import { compileFilter } from '@panoptes/flow';
import { AnyPluginManifest, ConfigError, ConfigIssue, describe, validateConfig } from '@panoptes/plugin-sdk';
import { PLUGINS } from '../plugins';
import { PanoptesConfig, PluginEntry } from './config.schema';
import { checkGraph, checkIds, ResolvedInstance } from './topic.graph';

export interface LoadedConfig {
  readonly source: string;
  readonly raw: PanoptesConfig;
  readonly bus: { type: string } & Record<string, unknown>;
  readonly instances: ResolvedInstance[];
}

/**
 * Reads, parses and validates a config file. Every problem is collected, with
 * its key path and line, and thrown at once as a ConfigError. Does no I/O
 * beyond reading the file: plugin preflights run separately (see preflight()).
 */
export async function loadConfigFile(path: string, registry = PLUGINS): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', message: `cannot read config file ${path}: ${(err as Error).message}` }]);
  }
  return parseConfig(text, path, registry);
}

export function parseConfig(text: string, source = '<inline>', registry = PLUGINS): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: '',
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
        line: e.linePos?.[0]?.line,
      })),
    );
  }
  const plain = substituteEnv(doc.toJS() ?? {});
  const issues: ConfigIssue[] = [];
  const top = validateConfig(PanoptesConfig, plain);
  issues.push(...top.issues);
  const cfg = (top.value ?? Object.assign(new PanoptesConfig(), plain)) as PanoptesConfig;

  const bus = validateBus((plain as Record<string, unknown>).bus, issues);
  const instances: ResolvedInstance[] = [];
  const plugins = Array.isArray(cfg.plugins) ? cfg.plugins : [];
  plugins.forEach((entry, i) => {
    const inst = resolveInstance(entry, i, registry, issues);
    if (inst) instances.push(inst);
  });
  if (Array.isArray(cfg.plugins) && plugins.length === 0)
    issues.push({ path: 'plugins', message: 'no plugins configured' });
  issues.push(...checkIds(plugins), ...checkGraph(instances));
  if (issues.length) throw new ConfigError(issues.map((i) => withLine(i, doc, lines)));
  return { source, raw: cfg, bus, instances };
}

function validateBus(section: unknown, issues: ConfigIssue[]): { type: string } & Record<string, unknown> {
  const s = (section ?? { type: 'embedded' }) as Record<string, unknown>;
  const type = typeof s === 'object' && s !== null && typeof s.type === 'string' ? s.type : 'embedded';
  const busType = BUS_TYPES[type];
  if (!busType) {
    issues.push({
      path: 'bus.type',
      message: `unknown bus type ${describe(s.type)}, expected one of ${Object.keys(BUS_TYPES).join(', ')}`,
    });
    return { type };
  }
  const r = validateConfig(busType.config, s, 'bus');
  issues.push(...r.issues);
  return (r.value ?? { type }) as { type: string } & Record<string, unknown>;
}

function resolveInstance(
  entry: unknown,
  i: number,
  registry: ReadonlyMap<string, AnyPluginManifest>,
  issues: ConfigIssue[],
): ResolvedInstance | undefined {
  const base = `plugins[${i}]`;
  const r = validateConfig(PluginEntry, entry, base);
  const e = (r.value ?? entry ?? {}) as PluginEntry;
  const where = `${base}${typeof e.id === 'string' ? ` "${e.id}"` : ''}${typeof e.use === 'string' ? ` (${e.use})` : ''}`;
  issues.push(...r.issues.map((x) => ({ ...x, where })));
  if (!r.value) return undefined;
  const manifest = registry.get(e.use);
  if (!manifest) {
    issues.push({
      path: `${base}.use`,
      where,
      message: `unknown plugin "${e.use}", expected one of ${[...registry.keys()].sort().join(', ')}`,
    });
    return undefined;
  }
  if (e.filter !== undefined) {
    try {
      compileFilter(e.filter);
    } catch (err) {
      issues.push({ path: `${base}.filter`, where, message: (err as Error).message.replace(/^filter: /, '') });
    }
  }
  const cfg = validateConfig(manifest.config, e.with ?? {}, `${base}.with`);
  issues.push(...cfg.issues.map((x) => ({ ...x, where })));
  const inputs = resolvePorts('input', manifest.inputs, e.input, e.inputs, base, where, issues);
  const outputs = resolvePorts('output', manifest.outputs, e.output, e.outputs, base, where, issues);
  // An instance with a bad config still takes part in the graph check, so
  // one mistake does not show up again as a dangling topic downstream.
  return { index: i, id: e.id, where, entry: e, manifest, config: cfg.value ?? {}, inputs, outputs };
}

function resolvePorts(
  kind: 'input' | 'output',
  defaults: Readonly<Record<string, string>> | undefined,
  short: string | undefined,
  named: Record<string, string> | undefined,
  base: string,
  where: string,
  issues: ConfigIssue[],
): Record<string, string> {
  const ports: Record<string, string> = { ...(defaults ?? {}) };
  const names = Object.keys(ports);
  if (short !== undefined) {
    if (names.length === 0) issues.push({ path: `${base}.${kind}`, where, message: `this plugin has no ${kind}` });
    else ports[names[0]] = short;
  }
  for (const [port, topic] of Object.entries(named ?? {})) {
    if (!(port in ports)) {
      issues.push({
        path: `${base}.${kind}s.${port}`,
        where,
        message: `unknown ${kind} "${port}", expected one of ${names.join(', ') || '(none)'}`,
      });
    } else if (typeof topic !== 'string' || !/^[A-Za-z0-9._-]+$/.test(topic)) {
      issues.push({
        path: `${base}.${kind}s.${port}`,
        where,
        message: `topic must be a name of letters, digits, . _ -, found ${describe(topic)}`,
      });
    } else ports[port] = topic;
  }
  return ports;
}

/** Strings of the form `env:NAME` are replaced by that environment variable (an unset one stays as is and fails where used). */
function substituteEnv(v: unknown): unknown {
  if (typeof v === 'string') {
    const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(v);
    return m && process.env[m[1]] !== undefined ? process.env[m[1]] : v;
  }
  if (Array.isArray(v)) return v.map(substituteEnv);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteEnv(x)]));
  return v;
}

/** Finds the YAML line of an issue's key path (the deepest node that exists). */
function withLine(issue: ConfigIssue, doc: Document, lines: LineCounter): ConfigIssue {
  if (issue.line || !issue.path) return issue;
  const parts = issue.path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '');
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const node = doc.getIn(key, true) as unknown;
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range && (isScalar(node) || isMap(node) || isSeq(node)))
      return { ...issue, line: lines.linePos(range[0]).line };
  }
  return issue;
}
