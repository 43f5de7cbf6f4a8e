import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { describe } from '@panoptes/plugin-sdk';

function messages(errors: ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    for (const [rule, msg] of Object.entries(e.constraints ?? {})) {
      out.push(rule === 'whitelistValidation' ? `unknown parameter "${path}"` : `${msg}, found ${describe(e.value)}`);
    }
    out.push(...messages(e.children ?? [], path));
  }
  return out;
}

/**
 * Query and body validation: unknown parameters are refused (a typo must not
 * silently widen a query) and every problem is listed in the 400.
 */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new BadRequestException({ message: messages(errors), error: 'Bad Request' }),
  });
}

/** A query integer: digits become a number, anything else stays as sent so the validator names it. */
export const ToInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : value));

/** A query boolean: true/false/1/0; anything else stays as sent. */
export const ToBool = () =>
  Transform(({ value }) => {
    if (value === 'true' || value === '1' || value === '') return true;
    if (value === 'false' || value === '0') return false;
    return value;
  });

/** A time: epoch seconds (with a fraction) or an ISO 8601 date-time; anything else stays as sent. */
export const ToEpoch = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const s = value.trim();
    if (/^\d{1,12}(\.\d{1,9})?$/.test(s)) return Number(s);
    if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) {
      const ms = Date.parse(s);
      if (Number.isFinite(ms)) return ms / 1000;
    }
    return value;
  });

/** A comma-separated list, trimmed, empty items dropped. */
export const ToList = () =>
  Transform(({ value }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : value,
  );
