import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { FilterError } from '@panoptes/flow';
import { ConfigError, formatIssue } from '@panoptes/plugin-sdk';
import { createLogger } from '../../runtime/logger';

const log = createLogger('api');

/** The one error body of the API: the status, its name, a message a person can act on, and every problem when there are several. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors?: string[];
}

/**
 * Turns every error into an ApiErrorBody: HTTP errors keep their status; a
 * ConfigError is a 400 with the full list; a FilterError a 400 with the
 * reason and column; anything else is a 500 that is logged (a bug: input is
 * validated before it reaches the store).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.end();
      return;
    }
    const body = toBody(err);
    if (body.statusCode >= 500)
      log.error('request failed', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    res.status(body.statusCode).json(body);
  }
}

export function toBody(err: unknown): ApiErrorBody {
  if (err instanceof ConfigError) {
    const errors = err.issues.map(formatIssue);
    return {
      statusCode: 400,
      error: 'Bad Request',
      message: `invalid config (${errors.length} error${errors.length === 1 ? '' : 's'})`,
      errors,
    };
  }
  // FilterError says "filter: <reason> at column N" itself.
  if (err instanceof FilterError) return { statusCode: 400, error: 'Bad Request', message: err.message };
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const r = err.getResponse() as string | { message?: string | string[]; errors?: string[]; error?: string };
    const name =
      HttpStatus[status]
        ?.toString()
        .split('_')
        .map((w) => w[0] + w.slice(1).toLowerCase())
        .join(' ') ?? 'Error';
    if (typeof r === 'string') return { statusCode: status, error: name, message: r };
    const list = Array.isArray(r.message) ? r.message : r.errors;
    const message = Array.isArray(r.message) ? r.message.join('; ') : (r.message ?? err.message);
    return {
      statusCode: status,
      error: typeof r.error === 'string' ? r.error : name,
      message,
      ...(list && list.length > 1 ? { errors: list } : {}),
    };
  }
  return { statusCode: 500, error: 'Internal Server Error', message: 'internal error (logged on the server)' };
}
