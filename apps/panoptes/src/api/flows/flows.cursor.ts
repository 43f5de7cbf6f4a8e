import { createHash } from 'node:crypto';
import { BadRequestException } from '@nestjs/common';

/**
 * Opaque page cursors: the last row's sort key and a fingerprint of the
 * query it belongs to, base64url JSON. A cursor used with another filter,
 * range, sort or mode is refused rather than silently giving a wrong page.
 */
export function queryFingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

export function encodeCursor(key: readonly unknown[], fingerprint: string): string {
  return Buffer.from(JSON.stringify({ k: key, q: fingerprint })).toString('base64url');
}

export function decodeCursor(cursor: string, fingerprint: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestException(
      'cursor is not one this API made: pass the `next` value of a previous page unchanged',
    );
  }
  const o = parsed as { k?: unknown; q?: unknown };
  const okKey =
    Array.isArray(o?.k) &&
    o.k.length === 3 &&
    o.k.every((v) => v === null || typeof v === 'string' || typeof v === 'number');
  if (!okKey || typeof o.q !== 'string') {
    throw new BadRequestException(
      'cursor is not one this API made: pass the `next` value of a previous page unchanged',
    );
  }
  if (o.q !== fingerprint) {
    throw new BadRequestException(
      'cursor belongs to another query: keep filter, from, to, sort and records as they were for the first page',
    );
  }
  return o.k as unknown[];
}
