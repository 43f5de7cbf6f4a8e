/**
 * Token buckets per client: `perSec` tokens a second up to `burst`. Buckets
 * idle long enough to be full again are forgotten, so the map stays as
 * small as the set of active clients.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = 0;

  constructor(
    private readonly perSec: number,
    private readonly burst: number,
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds to wait. */
  take(client: string, now = Date.now()): number {
    this.sweep(now);
    const b = this.buckets.get(client) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSec);
    b.at = now;
    this.buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSec));
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < 10_000) return;
    this.sweptAt = now;
    const full = (this.burst / this.perSec) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > full) this.buckets.delete(k);
  }
}
