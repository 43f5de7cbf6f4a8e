import { DnsAnswer, RecordCopier } from '@panoptes/flow';
import { HandlerService, PluginContext } from '@panoptes/plugin-sdk';
import { DnsEnrichConfig } from './dns.config';
import { PtrCache, ReverseResolver, systemReverseResolver } from './dns.ptr';
import { PassiveDnsTable } from './dns.table';

type Flow = Record<string, unknown>;

/** A rogue-DNS alert: an answer from a server not on the allow-list. */
export interface DnsAlert {
  readonly type: 'rogue-dns';
  readonly time: number;
  readonly sid: string;
  readonly server: string;
  readonly client: string;
  readonly qname: string;
  readonly qtype: string;
  readonly rcode: string;
  /** The addresses (or other data) it answered with. */
  readonly answers: string[];
  readonly message: string;
}

const MAX_SERVERS = 10_000;
const MAX_OPEN_FLOWS = 200_000;

const normName = (n: string): string => (n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();

function answerProblem(a: unknown): string | undefined {
  if (!a || typeof a !== 'object') return 'not a DNS answer record';
  const o = a as Record<string, unknown>;
  for (const k of ['client', 'server', 'qname'] as const) if (typeof o[k] !== 'string') return `${k} must be a string`;
  if (typeof o.time !== 'number' || !Number.isFinite(o.time)) return 'time must be epoch seconds';
  if (!Array.isArray(o.answers)) return 'answers must be a list';
  return undefined;
}

/**
 * Labels flows with the DNS names their clients resolved (sname/dname), from
 * DNS answers read on a second input, and raises an alert for answers from
 * servers outside the allow-list.
 */
export class DnsEnricher implements HandlerService {
  private table: PassiveDnsTable;
  private ptr?: PtrCache;
  private readonly allowed: Set<string>;
  private readonly servers = new Map<string, { answers: number; allowed: boolean }>();
  /** Labels given to flows still open (status records), so every record of a flow carries the same names. */
  private readonly open = new Map<string, [string | undefined, string | undefined]>();
  /** Latest answer time handled: flows that started before it have seen every answer they could use. */
  private watermark = -Infinity;
  private lastDnsWall = 0;
  private waitedForFirst = false;
  private waiters: { t: number; resolve: () => void }[] = [];
  private stopped = false;
  private readonly copier = new RecordCopier();
  private readonly figures = { answers: 0, records: 0, flows: 0, labelled: 0, alerts: 0, waits: 0 };

  constructor(
    private readonly config: DnsEnrichConfig,
    private readonly ctx: PluginContext,
    private readonly resolver?: ReverseResolver,
  ) {
    this.table = new PassiveDnsTable(config.maxEntries, config.ttlGraceSec);
    this.allowed = new Set(config.allowedServers);
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.config.ptrLookups) {
      const r = this.resolver ?? systemReverseResolver(this.config.ptrServers, this.config.ptrTimeoutMs);
      this.ptr = new PtrCache(r, this.config.ptrCacheSize, this.config.ptrCacheSec * 1000, this.config.ptrMaxInFlight);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w.resolve();
    await this.ptr?.settled();
  }

  async handle(records: unknown[], port: string): Promise<void> {
    if (port === 'dns') return this.answers(records);
    return this.flows(records);
  }

  private async answers(records: unknown[]): Promise<void> {
    const alerts: DnsAlert[] = [];
    let added = 0;
    for (const rec of records) {
      const problem = answerProblem(rec);
      if (problem) {
        this.ctx.count('bad_answers');
        await this.ctx.reject(`bad dns answer: ${problem}`, rec, 'dns');
        continue;
      }
      const a = rec as DnsAnswer;
      this.figures.answers++;
      if (a.time > this.watermark) this.watermark = a.time;
      const allowed = this.allowed.size === 0 || this.allowed.has(a.server);
      this.noteServer(a.server, allowed);
      if (!allowed) alerts.push(this.alert(a));
      if (a.rcode !== undefined && a.rcode !== 'NOERROR') continue;
      const name = normName(a.qname);
      for (const rr of a.answers) {
        if (!rr || (rr.type !== 'A' && rr.type !== 'AAAA') || typeof rr.data !== 'string') continue;
        this.table.add(a.client, rr.data, name, a.time, typeof rr.ttl === 'number' ? rr.ttl : 0);
        added++;
      }
    }
    this.figures.records += added;
    this.lastDnsWall = Date.now();
    this.ctx.count('answers', records.length);
    if (added) this.ctx.count('dns_records', added);
    this.ctx.gauge('table_entries', this.table.size);
    this.ctx.gauge('dns_servers', this.servers.size);
    this.release();
    if (alerts.length) {
      this.figures.alerts += alerts.length;
      this.ctx.count('alerts', alerts.length);
      await this.ctx.emit(alerts, 'alerts');
    }
  }

  private noteServer(server: string, allowed: boolean): void {
    const s = this.servers.get(server);
    if (s) s.answers++;
    else if (this.servers.size < MAX_SERVERS) {
      this.servers.set(server, { answers: 1, allowed });
      if (!allowed) this.ctx.log.warn('dns answers from a server not on the allow-list', { server });
    }
  }

  private alert(a: DnsAnswer): DnsAlert {
    return {
      type: 'rogue-dns',
      time: a.time,
      sid: a.sid,
      server: a.server,
      client: a.client,
      qname: normName(a.qname),
      qtype: a.qtype,
      rcode: a.rcode,
      answers: a.answers.map((rr) => rr.data),
      message: `DNS answer from ${a.server}, which is not an allowed server`,
    };
  }

  private release(): void {
    if (!this.waiters.length) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) w.t <= this.watermark ? w.resolve() : still.push(w);
    this.waiters = still;
  }

  /**
   * Waits, at most alignWaitMs, until answers up to time t have been handled,
   * when the DNS input is flowing (or has not started yet) and is behind.
   */
  private async align(t: number): Promise<void> {
    const wait = this.config.alignWaitMs;
    if (wait === 0 || t <= this.watermark || this.stopped) return;
    const now = Date.now();
    if (this.lastDnsWall === 0) {
      if (this.waitedForFirst) return;
      this.waitedForFirst = true;
    } else if (now - this.lastDnsWall > Math.max(1000, 4 * wait)) return;
    this.figures.waits++;
    await new Promise<void>((resolve) => {
      const w = { t, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve();
      }, wait);
      this.waiters.push(w);
    });
  }

  private async flows(records: unknown[]): Promise<void> {
    let latest = -Infinity;
    for (const r of records) {
      const t = (r as Flow | null)?.stime;
      if (typeof t === 'number' && t > latest) latest = t;
    }
    await this.align(latest);
    const out: unknown[] = [];
    let labelled = 0;
    for (const r of records) {
      const f0 = r as { saddr: string; daddr: string; stime: number; uid?: unknown; rtype?: unknown } | null;
      if (
        !f0 ||
        typeof f0 !== 'object' ||
        typeof f0.saddr !== 'string' ||
        typeof f0.daddr !== 'string' ||
        typeof f0.stime !== 'number'
      ) {
        this.ctx.count('bad_records');
        await this.ctx.reject('not a flow record: saddr, daddr and stime are required', r, 'flows');
        continue;
      }
      const uid = typeof f0.uid === 'string' ? f0.uid : undefined;
      // The map of open flows is only touched when it holds something or a status record comes.
      const kept = uid !== undefined && this.open.size > 0 ? this.open.get(uid) : undefined;
      let sname: string | undefined;
      let dname: string | undefined;
      if (kept) {
        sname = kept[0];
        dname = kept[1];
        if (f0.rtype === 'final') this.open.delete(uid!);
      } else {
        sname = this.name(f0.daddr, f0.saddr, f0.stime);
        dname = this.name(f0.saddr, f0.daddr, f0.stime);
        if (uid !== undefined && f0.rtype === 'status' && this.open.size < MAX_OPEN_FLOWS)
          this.open.set(uid, [sname, dname]);
      }
      if (sname === undefined && dname === undefined) {
        out.push(f0); // nothing to add: passed on as it came, never modified
        continue;
      }
      // A copy: other groups may share the input objects.
      const f: Flow = this.copier.copy(f0 as unknown as Flow);
      if (sname !== undefined) {
        f.sname = sname;
        labelled++;
      }
      if (dname !== undefined) {
        f.dname = dname;
        labelled++;
      }
      out.push(f);
    }
    this.figures.flows += out.length;
    this.figures.labelled += labelled;
    this.ctx.count('lookups', 2 * out.length);
    if (labelled) this.ctx.count('labels_added', labelled);
    if (this.ptr) {
      const p = this.ptr.figures;
      this.ctx.gauge('ptr_lookups', p.lookups);
      this.ctx.gauge('ptr_cache_hits', p.hits);
      this.ctx.gauge('ptr_failures', p.failures);
    }
    await this.ctx.emit(out, 'flows');
  }

  /** The name `client` had for `addr` when the flow started; PTR (when on) for the rest. */
  private name(client: string, addr: string, t: number): string | undefined {
    return this.table.lookup(client, addr, t) ?? this.ptr?.peek(addr);
  }

  stats(): Record<string, number | string> {
    return {
      answers: this.figures.answers,
      dnsRecords: this.figures.records,
      flows: this.figures.flows,
      labelsAdded: this.figures.labelled,
      alerts: this.figures.alerts,
      alignWaits: this.figures.waits,
      tableEntries: this.table.size,
      tableEvicted: this.table.evicted,
      dnsServers: this.servers.size,
      rogueServers: [...this.servers]
        .filter(([, s]) => !s.allowed)
        .map(([k]) => k)
        .join(','),
    };
  }
}
