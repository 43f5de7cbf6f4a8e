// The pipeline page: the plugin graph (instances and the topics between them)
// with per-plugin record rates, errors and state, queue depth (embedded bus)
// or consumer lag (Kafka) per topic, and start/stop for admin keys.

import { ApiError } from './api.client';
import { pluginsOf, PluginView, queuesOf, stat, TopicQueue } from './api.shapes';
import { esc, h, mount } from './dom';
import { fmtInt, fmtSi } from './format';
import { layoutGraph } from './graph.layout';
import { ConsoleContext, View } from './view';

const POLL_MS = 2000;
const NODE_W = 176;
const NODE_H = 58;

interface Sample {
  at: number;
  inn: number;
  out: number;
}

/** Counters a plugin reports, by the names the host and the API use for them. */
const recordsIn = (p: PluginView): number | undefined =>
  stat(p.stats, 'recordsIn', 'records_in', 'in', 'written', 'stored');
const recordsOut = (p: PluginView): number | undefined => stat(p.stats, 'recordsOut', 'records_out', 'out');
const errorsOf = (p: PluginView): number => stat(p.stats, 'errors', 'rejected') ?? 0;

export class PipelineView implements View {
  readonly el: HTMLElement;
  private readonly graph: HTMLElement;
  private readonly tbody: HTMLElement;
  private readonly message: HTMLElement;
  private timer?: number;
  private readonly prev = new Map<string, Sample>();
  private readonly rates = new Map<string, { inn?: number; out?: number }>();
  private busy = new Set<string>();

  constructor(private readonly ctx: ConsoleContext) {
    this.graph = h('div', { class: 'graph card', id: 'pipeline-graph' });
    this.tbody = h('tbody');
    this.message = h('div', { class: 'filter-error', role: 'alert', hidden: true });
    this.el = h(
      'section',
      { class: 'page pipeline', 'aria-label': 'pipeline' },
      this.graph,
      this.message,
      h(
        'figure',
        { class: 'card' },
        h('figcaption', {}, 'Plugin instances'),
        h(
          'table',
          { id: 'plugins-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['id', 'plugin', 'kind', 'state', 'in/s', 'out/s', 'errors', 'queue', ''].map((l, i) =>
                h('th', { scope: 'col', class: i >= 4 && i <= 7 ? 'num' : undefined }, l),
              ),
            ),
          ),
          this.tbody,
        ),
      ),
    );
  }

  start(): void {
    void this.poll();
    this.timer = window.setInterval(() => void this.poll(), POLL_MS);
  }

  stop(): void {
    window.clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    try {
      const [pipeline, plugins] = await Promise.all([
        this.ctx.api.get<unknown>('/pipeline'),
        this.ctx.api.get<unknown>('/plugins'),
      ]);
      const list = pluginsOf(plugins);
      this.sample(list);
      this.render(list, queuesOf(pipeline));
      this.el.dataset.state = 'ready';
    } catch (err) {
      this.say(`cannot read the pipeline: ${(err as Error).message}`);
      this.el.dataset.state = 'error';
    }
  }

  private sample(list: PluginView[]): void {
    const now = performance.now() / 1000;
    for (const p of list) {
      const cur = { at: now, inn: recordsIn(p) ?? NaN, out: recordsOut(p) ?? NaN };
      const old = this.prev.get(p.id);
      if (old && cur.at > old.at) {
        const dt = cur.at - old.at;
        this.rates.set(p.id, {
          inn: Math.max(0, (cur.inn - old.inn) / dt),
          out: Math.max(0, (cur.out - old.out) / dt),
        });
      }
      this.prev.set(p.id, cur);
    }
  }

  private say(msg?: string): void {
    this.message.hidden = !msg;
    this.message.textContent = msg ?? '';
  }

  private queueOf(p: PluginView, queues: TopicQueue[]): number | undefined {
    const mine = queues.filter((q) => q.group === p.id && Object.values(p.inputs).includes(q.topic));
    return mine.length ? mine.reduce((a, q) => a + q.depth, 0) : undefined;
  }

  /**
   * Records in and out per second: in is what the host measures delivering to
   * the plugin's consumer group (known from the first poll on), out is the
   * plugin's own counter between two polls.
   */
  private rateOf(p: PluginView, queues: TopicQueue[]): { inn?: number; out?: number } {
    const sampled = this.rates.get(p.id) ?? {};
    const mine = queues.filter(
      (q) => q.group === p.id && q.ratePerSec !== undefined && Object.values(p.inputs).includes(q.topic),
    );
    return { inn: mine.length ? mine.reduce((a, q) => a + q.ratePerSec!, 0) : sampled.inn, out: sampled.out };
  }

  private rateText(v: number | undefined): string {
    return v === undefined || Number.isNaN(v) ? '–' : fmtSi(v);
  }

  private render(list: PluginView[], queues: TopicQueue[]): void {
    const g = layoutGraph(list, { colWidth: NODE_W + 56, rowHeight: NODE_H + 22, margin: 12 });
    const byKey = new Map(g.nodes.map((n) => [n.key, n]));
    const byId = new Map(list.map((p) => [p.id, p]));
    // Drawn in "14 px units" and scaled with the page's font size, so a 4K screen gets a readable graph.
    const scale = parseFloat(getComputedStyle(document.documentElement).fontSize) / 14 || 1;
    const svg: string[] = [
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${g.width} ${g.height}" width="${Math.round(g.width * scale)}" height="${Math.round(g.height * scale)}" role="img" aria-label="plugin graph">`,
    ];
    svg.push(
      '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker></defs>',
    );
    for (const e of g.edges) {
      const a = byKey.get(e.from)!;
      const b = byKey.get(e.to)!;
      const x1 = a.x + NODE_W;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x - 2;
      const y2 = b.y + NODE_H / 2;
      const mx = (x1 + x2) / 2;
      svg.push(`<path class="edge" d="M${x1},${y1}C${mx},${y1} ${mx},${y2} ${x2},${y2}" marker-end="url(#arrow)"/>`);
    }
    for (const n of g.nodes) {
      if (n.type === 'plugin') {
        const p = byId.get(n.name)!;
        const r = this.rateOf(p, queues);
        const line2 =
          p.kind === 'source'
            ? `out ${this.rateText(r.out)}/s`
            : p.kind === 'sink'
              ? `in ${this.rateText(r.inn)}/s`
              : `${this.rateText(r.inn)}/s → ${this.rateText(r.out)}/s`;
        const errs = errorsOf(p);
        svg.push(
          `<g class="node plugin state-${esc(p.state)} kind-${esc(p.kind)}" data-plugin="${esc(p.id)}" transform="translate(${n.x},${n.y})"><title>${esc(`${p.id} (${p.use}, ${p.kind}): ${p.state}${p.error ? `: ${p.error}` : ''}`)}</title>` +
            `<rect width="${NODE_W}" height="${NODE_H}" rx="8"/><circle class="dot" cx="14" cy="16" r="5"/>` +
            `<text class="name" x="26" y="20">${esc(p.id)}</text><text class="sub" x="10" y="37">${esc(p.use)}</text>` +
            `<text class="sub" x="10" y="51">${esc(line2)}${errs ? ` · ${esc(fmtInt(errs))} err` : ''}</text></g>`,
        );
      } else {
        const qs = queues.filter((q) => q.topic === n.name);
        const depth = qs.reduce((a, q) => a + q.depth, 0);
        const cap = qs.reduce((a, q) => a + (q.capacity ?? 0), 0);
        const rate = Math.max(0, ...qs.map((q) => q.ratePerSec ?? 0));
        const label = qs.length
          ? `queue ${fmtInt(depth)}${cap ? ` / ${fmtSi(cap)}` : ''} · ${fmtSi(rate)}/s`
          : 'no consumer';
        svg.push(
          `<g class="node topic${cap && depth / cap > 0.8 ? ' hot' : ''}" data-topic="${esc(n.name)}" transform="translate(${n.x},${n.y + 8})"><title>${esc(qs.map((q) => `${q.group}: ${q.depth}`).join('\n') || n.name)}</title>` +
            `<rect width="${NODE_W}" height="${NODE_H - 16}" rx="${(NODE_H - 16) / 2}"/><text class="name" x="${NODE_W / 2}" y="18" text-anchor="middle">${esc(n.name)}</text>` +
            `<text class="sub" x="${NODE_W / 2}" y="33" text-anchor="middle">${esc(label)}</text></g>`,
        );
      }
    }
    svg.push('</svg>');
    this.graph.innerHTML = list.length ? svg.join('') : '<p class="empty">no plugin instances</p>';

    mount(
      this.tbody,
      ...list.map((p) => {
        const r = this.rateOf(p, queues);
        const running = p.state === 'running';
        const q = this.queueOf(p, queues);
        return h(
          'tr',
          { 'data-plugin': p.id },
          h('td', {}, p.id),
          h('td', {}, p.use),
          h('td', {}, p.kind),
          h('td', {}, h('span', { class: `badge state-${p.state}`, title: p.error }, p.state)),
          h('td', { class: 'num' }, this.rateText(r.inn)),
          h('td', { class: 'num' }, this.rateText(r.out)),
          h('td', { class: 'num' }, fmtInt(errorsOf(p))),
          h('td', { class: 'num' }, q === undefined ? '–' : fmtInt(q)),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: running ? 'danger' : '',
                disabled: this.busy.has(p.id),
                onclick: () => void this.toggle(p.id, running ? 'stop' : 'start'),
              },
              running ? 'Stop' : 'Start',
            ),
          ),
        );
      }),
    );
  }

  private async toggle(id: string, action: 'start' | 'stop'): Promise<void> {
    this.busy.add(id);
    try {
      await this.ctx.api.post(`/plugins/${encodeURIComponent(id)}/${action}`);
      this.say();
    } catch (err) {
      this.say(
        err instanceof ApiError && err.status === 403
          ? `${action} ${id}: this key may not manage plugins (an admin key is needed)`
          : `${action} ${id}: ${(err as Error).message}`,
      );
    } finally {
      this.busy.delete(id);
      await this.poll();
    }
  }
}
