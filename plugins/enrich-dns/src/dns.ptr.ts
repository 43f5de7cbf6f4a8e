import { promises as dnsPromises } from 'node:dns';

/** Reverse lookup of one address; resolves to its PTR names (possibly none). */
export type ReverseResolver = (addr: string) => Promise<string[]>;

/** The resolver the plugin uses unless a test injects one: node's c-ares client, its own servers and timeout. */
export function systemReverseResolver(servers: readonly string[], timeoutMs: number): ReverseResolver {
  const r = new dnsPromises.Resolver({ timeout: timeoutMs, tries: 1 });
  if (servers.length) r.setServers([...servers]);
  return (addr) => r.reverse(addr);
}

interface Cached {
  readonly name: string | null;
  readonly until: number;
}

/**
 * PTR names behind a cache. `peek()` answers from the cache only and, on a
 * miss, starts a lookup in the background (bounded in flight), so the flow
 * that missed goes on unlabelled and later flows to that address get the
 * name. Nothing ever waits on the network.
 */
export class PtrCache {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<void>>();
  readonly figures = { lookups: 0, hits: 0, failures: 0, skipped: 0 };

  constructor(
    private readonly resolve: ReverseResolver,
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly maxInFlight: number,
    private readonly now: () => number = Date.now,
  ) {}

  peek(addr: string): string | undefined {
    const c = this.cache.get(addr);
    if (c && c.until > this.now()) {
      this.figures.hits++;
      return c.name ?? undefined;
    }
    if (!this.inFlight.has(addr)) {
      if (this.inFlight.size >= this.maxInFlight) this.figures.skipped++;
      else this.start(addr);
    }
    return undefined;
  }

  private start(addr: string): void {
    this.figures.lookups++;
    const p = this.resolve(addr).then(
      (names) => this.put(addr, names.length ? names[0].replace(/\.$/, '').toLowerCase() : null),
      () => {
        this.figures.failures++;
        this.put(addr, null);
      },
    );
    this.inFlight.set(
      addr,
      p.finally(() => this.inFlight.delete(addr)),
    );
  }

  private put(addr: string, name: string | null): void {
    this.cache.delete(addr);
    this.cache.set(addr, { name, until: this.now() + this.ttlMs });
    if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Resolves when every lookup started so far has finished (for stop() and tests). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight.values()]);
  }
}
