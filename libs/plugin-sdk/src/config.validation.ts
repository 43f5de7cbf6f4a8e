import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { ConfigIssue } from './errors';

export type ConfigClass<C extends object = object> = new () => C;

/**
 * Validates a plain object against a config class: unknown keys are errors,
 * defaults come from the class's initialisers, every problem is collected.
 * Does no I/O.
 */
export function validateConfig<C extends object>(
  cls: ConfigClass<C>,
  plain: unknown,
  path = '',
): { value?: C; issues: ConfigIssue[] } {
  if (plain === undefined || plain === null) plain = {};
  if (typeof plain !== 'object' || Array.isArray(plain)) {
    return { issues: [{ path, message: `expected a mapping, found ${describe(plain)}` }] };
  }
  const value = plainToInstance(cls, plain, { exposeDefaultValues: true });
  const errors = validateSync(value as object, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
  });
  const issues: ConfigIssue[] = [];
  for (const e of errors) flatten(e, path, issues);
  return issues.length ? { issues } : { value, issues };
}

const TYPE_RULES = new Set([
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isArray',
  'isObject',
  'isIn',
  'isEnum',
  'nestedValidation',
  'isDefined',
  'isNotEmpty',
]);

function flatten(e: ValidationError, prefix: string, out: ConfigIssue[]): void {
  const path = joinPath(prefix, e.property);
  if (e.constraints) {
    // One message per key: the type check when it failed (a wrong type breaks
    // every other rule too), else the first rule that failed.
    const rules = Object.keys(e.constraints);
    if (rules.includes('whitelistValidation')) {
      out.push({ path, message: `unknown key "${e.property}"` });
    } else {
      const rule = rules.find((r) => TYPE_RULES.has(r)) ?? rules[0];
      out.push({ path, message: `${e.constraints[rule]}, found ${describe(e.value)}` });
    }
  }
  for (const child of e.children ?? []) flatten(child, path, out);
}

function joinPath(prefix: string, prop: string): string {
  if (/^\d+$/.test(prop)) return `${prefix}[${prop}]`;
  return prefix ? `${prefix}.${prop}` : prop;
}

/** A short description of a found value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 60 ? v.slice(0, 57) + '...' : v}"`;
  return `${typeof v} ${String(v)}`;
}
