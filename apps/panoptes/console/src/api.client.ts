// The console's REST client: every call carries the API key as a Bearer
// token; an error answer becomes an ApiError with the server's message so the
// view can show it inline (a bad filter's 400 says where it went wrong).

import { SseEvent, SseParser } from './sse.parser';

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Pulls a readable message out of an error body: {message}, {message: [...]}, {error}, or plain text. */
export function errorText(status: number, body: string): string {
  try {
    const j = JSON.parse(body) as { message?: unknown; error?: unknown; errors?: unknown };
    const m = j.message ?? j.errors ?? j.error;
    if (Array.isArray(m)) return m.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');
    if (typeof m === 'string' && m) return m;
  } catch {
    /* not JSON */
  }
  return body.trim() || `HTTP ${status}`;
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export class ApiClient {
  /** @param onUnauthorized called on a 401 (the key was revoked or rotated) before the call rejects. */
  constructor(
    private readonly key: string,
    private readonly onUnauthorized?: () => void,
  ) {}

  private refused(res: Response): void {
    if (res.status === 401) this.onUnauthorized?.();
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { Authorization: `Bearer ${this.key}`, Accept: 'application/json', ...extra };
  }

  async get<T>(path: string, q?: Query, signal?: AbortSignal): Promise<T> {
    const res = await fetch(withQuery(API + path, q), { headers: this.headers(), signal });
    return this.body<T>(res);
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(API + path, {
      method: 'POST',
      headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return this.body<T>(res);
  }

  private async body<T>(res: Response): Promise<T> {
    const text = await res.text();
    this.refused(res);
    if (!res.ok) throw new ApiError(res.status, errorText(res.status, text));
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Reads an SSE endpoint with fetch (EventSource cannot send the key) and
   * calls onEvent for each event until the signal aborts or the server ends
   * the stream. Rejects with ApiError when the server refuses (a bad filter).
   */
  async stream(path: string, q: Query, onEvent: (ev: SseEvent) => void, signal: AbortSignal): Promise<void> {
    const res = await fetch(withQuery(API + path, q), {
      headers: this.headers({ Accept: 'text/event-stream' }),
      signal,
    });
    this.refused(res);
    if (!res.ok || !res.body) throw new ApiError(res.status, errorText(res.status, await res.text()));
    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const ev of parser.push(value)) onEvent(ev);
      }
    } finally {
      reader.releaseLock();
    }
  }
}
