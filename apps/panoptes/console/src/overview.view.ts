// The overview page: bytes/s and flows/s over a chosen range, and the top
// talkers, ports, countries and ASNs, all from the aggregate API.

import { ApiError } from './api.client';
import { aggRowsOf, AggRow, recordsOf, seriesOf, SeriesPoint } from './api.shapes';
import { densify, Point, timeSeriesSvg } from './series.chart';
import { h, mount } from './dom';
import { showFilterError } from './filter.error';
import { fmtBytes, fmtInt, fmtSi, fmtTime } from './format';
import { ConsoleContext, View } from './view';

const RANGES: [string, string, number][] = [
  ['all', 'all data', 0],
  ['15m', 'last 15 min', 900],
  ['1h', 'last hour', 3600],
  ['6h', 'last 6 hours', 6 * 3600],
  ['24h', 'last 24 hours', 86400],
  ['7d', 'last 7 days', 7 * 86400],
];
const BINS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400];
/** About this many points per chart. */
const POINTS = 120;
const TOP = 10;

/** The bin width that gives about POINTS bins over a span. */
export function binFor(span: number): number {
  return BINS.find((b) => span / b <= POINTS) ?? 86400 * Math.ceil(span / POINTS / 86400);
}

interface Panel {
  id: string;
  title: string;
  by: string;
  /** Label of the group key column(s). */
  label: string;
  key: (r: AggRow) => string;
  /** The field enrichment adds: when no group has it, the panel says enrichment is off instead of one "(unknown)" row. */
  enriched?: string;
}

const str = (v: unknown): string => (v === null || v === undefined || v === '' ? '' : String(v));

const PANELS: Panel[] = [
  { id: 'talkers', title: 'Top talkers', by: 'saddr', label: 'source address', key: (r) => str(r.saddr) },
  {
    id: 'ports',
    title: 'Top ports',
    by: 'proto,dport',
    label: 'proto / port',
    key: (r) => `${str(r.proto)}${r.dport === null || r.dport === undefined ? '' : `/${r.dport}`}`,
  },
  {
    id: 'countries',
    title: 'Countries',
    by: 'dco',
    label: 'destination country',
    key: (r) => str(r.dco) || '(unknown)',
    enriched: 'dco',
  },
  {
    id: 'asns',
    title: 'ASNs',
    by: 'das,dasorg',
    label: 'destination AS',
    key: (r) => (r.das ? `AS${r.das}${r.dasorg ? ` ${r.dasorg}` : ''}` : '(unknown)'),
    enriched: 'das',
  },
];

const num = (r: AggRow, name: string): number => (r[name] === undefined || r[name] === null ? 0 : Number(r[name]));

export class OverviewView implements View {
  readonly el: HTMLElement;
  private readonly range: HTMLSelectElement;
  private readonly input: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly charts: HTMLElement;
  private readonly panels: HTMLElement;
  private abort?: AbortController;
  private chosen?: string;

  constructor(private readonly ctx: ConsoleContext) {
    this.range = h(
      'select',
      {
        id: 'overview-range',
        'aria-label': 'time range',
        onchange: () => ((this.chosen = this.range.value), void this.load()),
      },
      ...RANGES.map(([v, label]) => h('option', { value: v }, label)),
    );
    this.input = h('input', {
      type: 'search',
      id: 'overview-filter',
      placeholder: 'ra filter (optional)',
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-describedby': 'overview-filter-error',
    });
    this.error = h('div', { id: 'overview-filter-error', class: 'filter-error', role: 'alert', hidden: true });
    this.caption = h('span', { class: 'status', 'aria-live': 'polite' });
    this.charts = h('div', { class: 'charts' });
    this.panels = h('div', { class: 'panels' });
    this.el = h(
      'section',
      { class: 'page overview', 'aria-label': 'overview' },
      h(
        'div',
        { class: 'filter-wrap' },
        h(
          'form',
          { class: 'filter-bar', onsubmit: (e: Event) => (e.preventDefault(), void this.load()) },
          h('label', { for: 'overview-range' }, 'Range'),
          this.range,
          this.input,
          h('button', { type: 'submit' }, 'Apply'),
          this.caption,
        ),
        this.error,
      ),
      this.charts,
      this.panels,
    );
  }

  start(): void {
    void this.load();
  }

  stop(): void {
    this.abort?.abort();
  }

  /** [from, to] in epoch seconds: relative ranges end now; "all data" spans the stored records. */
  private async window(signal: AbortSignal): Promise<[number, number] | undefined> {
    const now = Date.now() / 1000;
    const relative = RANGES.find(([v]) => v === this.range.value)?.[2] ?? 0;
    if (relative) return [now - relative, now];
    const first = recordsOf(
      await this.ctx.api.get('/flows', { sort: 'stime', limit: 1, fields: 'stime,ltime' }, signal),
    )[0];
    const last = recordsOf(
      await this.ctx.api.get('/flows', { sort: '-ltime', limit: 1, fields: 'stime,ltime' }, signal),
    )[0];
    if (!first || !last) return undefined;
    return [Math.floor(Number(first.stime)), Math.ceil(Number(last.ltime)) + 1];
  }

  private async load(): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    const signal = abort.signal;
    const filter = this.input.value.trim() || undefined;
    this.caption.textContent = 'loading…';
    this.el.dataset.state = 'loading';
    try {
      // With no choice made yet, show the last hour when it has data, else everything stored.
      if (!this.chosen) {
        const latest = recordsOf(
          await this.ctx.api.get('/flows', { sort: '-ltime', limit: 1, fields: 'ltime' }, signal),
        )[0];
        this.range.value = latest && Number(latest.ltime) > Date.now() / 1000 - 3600 ? '1h' : 'all';
      }
      const win = await this.window(signal);
      if (!win) {
        this.showError();
        this.caption.textContent = 'no flows stored yet';
        this.renderCharts([], 60, undefined);
        this.renderPanels(PANELS.map(() => []));
        this.el.dataset.state = 'ready';
        return;
      }
      const [from, to] = win;
      const bin = binFor(to - from);
      const q = { filter, from, to };
      const [series, ...tops] = await Promise.all([
        this.ctx.api.get('/flows/aggregate', { ...q, metrics: 'bytes,count', bin }, signal),
        ...PANELS.map((p) =>
          this.ctx.api.get('/flows/aggregate', { ...q, by: p.by, metrics: 'bytes,pkts,count', top: TOP }, signal),
        ),
      ]);
      this.showError();
      this.caption.textContent = `${fmtTime(from, false)} – ${fmtTime(to, false)} UTC · ${bin} s bins`;
      this.renderCharts(seriesOf(series), bin, [from, to]);
      this.renderPanels(tops.map(aggRowsOf));
      this.el.dataset.state = 'ready';
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 400) this.showError(err.message);
      this.caption.textContent = `error: ${(err as Error).message.split('\n')[0]}`;
      this.el.dataset.state = 'error';
    }
  }

  private showError(msg?: string): void {
    showFilterError(this.error, this.input, this.input.value.trim(), msg);
  }

  private renderCharts(points: SeriesPoint[], bin: number, range: [number, number] | undefined): void {
    const dense = (pts: Point[]): Point[] => (range ? densify(pts, range[0], range[1], bin) : pts);
    const bytes = dense(points.map((p) => ({ t: p.t, v: (p.bytes ?? 0) / bin })));
    const flows = dense(points.map((p) => ({ t: p.t, v: (p.count ?? 0) / bin })));
    // Charts are drawn in "14 px units" and stretched to their box, so their text grows with the page's.
    const scale = parseFloat(getComputedStyle(document.documentElement).fontSize) / 14 || 1;
    const box = this.charts.clientWidth || this.el.clientWidth || 1200;
    const width = Math.max(320, Math.floor(box / (window.innerWidth > 900 ? 2 : 1) / scale) - 40);
    const height = Math.round(Math.min(300, Math.max(160, width * 0.3)));
    const opts = { width, height, bin, from: range?.[0], to: range?.[1] };
    this.charts.innerHTML = [
      `<figure class="card" id="chart-bytes"><figcaption>Bytes/s <span class="sub">(as bit/s)</span></figcaption>${timeSeriesSvg(bytes, { ...opts, series: 'bytes', label: 'bytes per second', format: (v) => fmtSi(v * 8, 'bit/s') })}</figure>`,
      `<figure class="card" id="chart-flows"><figcaption>Flows/s <span class="sub">(flows started per second)</span></figcaption>${timeSeriesSvg(flows, { ...opts, series: 'flows', label: 'flows per second', format: (v) => fmtSi(v) })}</figure>`,
    ].join('');
  }

  private renderPanels(results: AggRow[][]): void {
    mount(
      this.panels,
      ...PANELS.map((p, i) => {
        const all = results[i] ?? [];
        const rows = p.enriched && !all.some((r) => str(r[p.enriched!])) ? [] : all;
        const max = Math.max(1, ...rows.map((r) => num(r, 'bytes')));
        const body = rows.length
          ? rows.map((r, rank) => {
              const bytes = num(r, 'bytes');
              const key = p.key(r);
              return h(
                'tr',
                { 'data-key': key },
                h('td', { class: 'rank' }, rank + 1),
                h('td', { class: 'key' }, key),
                h('td', { class: 'num bytes', title: fmtBytes(bytes) }, fmtInt(bytes)),
                h('td', { class: 'num' }, fmtInt(num(r, 'pkts'))),
                h('td', { class: 'num' }, fmtInt(num(r, 'count'))),
                h(
                  'td',
                  { class: 'bar', 'aria-hidden': 'true' },
                  h('span', { style: `width:${((bytes / max) * 100).toFixed(1)}%` }),
                ),
              );
            })
          : [
              h(
                'tr',
                { class: 'empty' },
                h(
                  'td',
                  { colspan: 6 },
                  p.enriched && all.length ? 'no enrichment data (enable enrich-geoip)' : 'no data',
                ),
              ),
            ];
        return h(
          'figure',
          { class: 'card top', id: `top-${p.id}` },
          h('figcaption', {}, p.title, ' ', h('span', { class: 'sub' }, `by ${p.by}`)),
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, '#'),
                h('th', { scope: 'col' }, p.label),
                h('th', { scope: 'col', class: 'num' }, 'bytes'),
                h('th', { scope: 'col', class: 'num' }, 'pkts'),
                h('th', { scope: 'col', class: 'num' }, 'flows'),
                h('th', { scope: 'col' }, ''),
              ),
            ),
            h('tbody', {}, ...body),
          ),
        );
      }),
    );
  }
}
