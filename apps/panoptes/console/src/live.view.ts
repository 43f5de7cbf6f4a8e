// The live page, like ratop: the most recent flows from the store, then every
// record from the live SSE stream folded in as it arrives; sortable by rate,
// bytes and packets; an ra filter with the server's error shown inline; pause;
// a detail panel with every field of the selected flow.

import { ApiError } from './api.client';
import { droppedOf, liveRecordsOf, recordsOf } from './api.shapes';
import { h, mount } from './dom';
import { showFilterError } from './filter.error';
import { flowDetail } from './flow.detail';
import { FlowRow, FlowTable, rowBytes, rowDur, rowPkts, rowRate, SortKey } from './flow.table';
import { fmtDuration, fmtEndpoint, fmtInt, fmtRate, fmtSi, fmtTime } from './format';
import { ConsoleContext, View } from './view';

/** Flows fetched from the store before the stream starts, so the page is never empty on a quiet link. */
const BACKFILL = 500;
const SHOWN = 200;
const RENDER_MS = 500;
/** Wait before reconnecting a stream that ended or broke (not one refused with a 400). */
const RETRY_MS = 3000;
/** Live records per second are averaged over this many seconds. */
const RATE_WINDOW_S = 5;

const COLUMNS: { key: string; label: string; sort?: SortKey; num?: boolean }[] = [
  { key: 'ltime', label: 'last seen', sort: 'ltime' },
  { key: 'dur', label: 'dur', sort: 'dur', num: true },
  { key: 'proto', label: 'proto' },
  { key: 'src', label: 'source' },
  { key: 'dir', label: 'dir' },
  { key: 'dst', label: 'destination' },
  { key: 'pkts', label: 'pkts', sort: 'pkts', num: true },
  { key: 'bytes', label: 'bytes', sort: 'bytes', num: true },
  { key: 'rate', label: 'rate', sort: 'rate', num: true },
  { key: 'state', label: 'state' },
  { key: 'names', label: 'names / geo' },
];

export class LiveView implements View {
  readonly el: HTMLElement;
  private readonly table = new FlowTable(20000);
  private sort: SortKey = 'rate';
  private ascending = false;
  private filter = '';
  private paused = false;
  private selected?: string;
  private abort?: AbortController;
  private timer?: number;
  private dirty = false;
  private pending = 0;
  private received = 0;
  /** Records the server left out because this page fell behind (SSE `dropped` events). */
  private dropped = 0;
  private streamState = 'idle';
  private retry?: number;
  /** Arrival times (ms) and sizes of recent live batches, for records/s. */
  private arrivals: [number, number][] = [];

  private readonly input: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly status: HTMLElement;
  private readonly pauseBtn: HTMLButtonElement;
  private readonly thead: HTMLElement;
  private readonly tbody: HTMLElement;
  private readonly detail: HTMLElement;

  constructor(private readonly ctx: ConsoleContext) {
    this.input = h('input', {
      type: 'search',
      id: 'live-filter',
      name: 'filter',
      placeholder: 'ra filter, e.g. tcp and dst port 443 and not net 10.0.0.0/8',
      'aria-describedby': 'live-filter-error',
      spellcheck: 'false',
      autocomplete: 'off',
    });
    this.error = h('div', { id: 'live-filter-error', class: 'filter-error', role: 'alert', hidden: true });
    this.status = h('span', { class: 'status', 'aria-live': 'polite' });
    this.pauseBtn = h(
      'button',
      { type: 'button', class: 'pause', 'aria-pressed': 'false', onclick: () => this.togglePause() },
      'Pause',
    );
    this.thead = h('thead');
    this.tbody = h('tbody');
    this.detail = h('div', { class: 'detail-slot' });
    const form = h(
      'form',
      {
        class: 'filter-bar',
        role: 'search',
        onsubmit: (e: Event) => (e.preventDefault(), this.apply(this.input.value.trim())),
      },
      h('label', { for: 'live-filter', class: 'sr-only' }, 'Filter'),
      this.input,
      h('button', { type: 'submit' }, 'Apply'),
      this.pauseBtn,
      this.status,
    );
    this.el = h(
      'section',
      { class: 'page live', 'aria-label': 'live flows' },
      h('div', { class: 'filter-wrap' }, form, this.error),
      h(
        'div',
        { class: 'split' },
        h('div', { class: 'table-wrap' }, h('table', { class: 'flows', id: 'live-table' }, this.thead, this.tbody)),
        this.detail,
      ),
    );
    this.renderHead();
  }

  start(): void {
    this.timer = window.setInterval(
      () => (this.dirty && !this.paused ? this.render() : this.renderStatus()),
      RENDER_MS,
    );
    void this.connect();
  }

  stop(): void {
    this.abort?.abort();
    this.abort = undefined;
    window.clearInterval(this.timer);
    window.clearTimeout(this.retry);
  }

  private apply(filter: string): void {
    this.filter = filter;
    this.selected = undefined;
    this.el.classList.remove('has-detail');
    mount(this.detail);
    void this.connect();
  }

  private togglePause(): void {
    this.paused = !this.paused;
    this.pauseBtn.textContent = this.paused ? 'Resume' : 'Pause';
    this.pauseBtn.setAttribute('aria-pressed', String(this.paused));
    this.el.classList.toggle('paused', this.paused);
    if (!this.paused) this.render();
    else this.renderStatus();
  }

  private showError(msg?: string): void {
    showFilterError(this.error, this.input, this.filter, msg);
  }

  /** (Re)connects: back-fill from the store, then the live stream. A reconnect keeps the rows (records de-duplicate). */
  private async connect(fresh = true): Promise<void> {
    this.abort?.abort();
    window.clearTimeout(this.retry);
    const abort = (this.abort = new AbortController());
    const filter = this.filter || undefined;
    if (fresh) {
      this.table.clear();
      this.received = 0;
      this.dropped = 0;
      this.pending = 0;
      this.arrivals = [];
      this.streamState = 'loading';
      this.render();
    }
    try {
      const page = await this.ctx.api.get<unknown>('/flows', { filter, sort: '-ltime', limit: BACKFILL }, abort.signal);
      this.table.addMerged(recordsOf(page));
      this.showError();
      this.streamState = 'live';
      this.render();
      await this.ctx.api.stream(
        '/flows/live',
        { filter },
        (ev) => {
          if (ev.event === 'dropped') {
            this.dropped += droppedOf(ev.data);
            return;
          }
          if (ev.event !== 'flow') return;
          const recs = liveRecordsOf(ev.data);
          this.received += recs.length;
          this.arrivals.push([performance.now(), recs.length]);
          if (this.paused) this.pending += recs.length;
          if (this.table.add(recs)) this.dirty = true;
        },
        abort.signal,
      );
      if (abort.signal.aborted) return;
      this.streamState = 'stream ended, reconnecting';
    } catch (err) {
      if (abort.signal.aborted) return;
      if (err instanceof ApiError && err.status === 400) {
        this.showError(err.message);
        this.streamState = 'filter error';
        this.render();
        return;
      }
      this.streamState = `disconnected (${(err as Error).message}), reconnecting`;
    }
    this.render();
    if (this.abort === abort) this.retry = window.setTimeout(() => void this.connect(false), RETRY_MS);
  }

  private renderHead(): void {
    mount(
      this.thead,
      h(
        'tr',
        {},
        ...COLUMNS.map((c) => {
          const active = c.sort === this.sort;
          const th = h('th', {
            class: [c.num ? 'num' : '', `col-${c.key}`].join(' ').trim(),
            scope: 'col',
            'aria-sort': active ? (this.ascending ? 'ascending' : 'descending') : undefined,
          });
          if (!c.sort) th.textContent = c.label;
          else
            th.append(
              h(
                'button',
                { type: 'button', class: 'sort', 'data-sort': c.sort, onclick: () => this.sortBy(c.sort!) },
                c.label,
                active ? (this.ascending ? ' ▲' : ' ▼') : '',
              ),
            );
          return th;
        }),
      ),
    );
  }

  private sortBy(key: SortKey): void {
    if (this.sort === key) this.ascending = !this.ascending;
    else {
      this.sort = key;
      this.ascending = false;
    }
    this.renderHead();
    this.render();
  }

  private renderStatus(): void {
    const now = performance.now();
    this.arrivals = this.arrivals.filter(([t]) => now - t < RATE_WINDOW_S * 1000);
    const perSec = this.arrivals.reduce((a, [, n]) => a + n, 0) / RATE_WINDOW_S;
    const parts = [`${this.streamState}`, `${fmtInt(this.table.size)} flows`, `${fmtSi(this.received)} live records`];
    if (this.streamState === 'live') parts.push(`${fmtSi(perSec)} records/s`);
    if (this.dropped) parts.push(`${fmtInt(this.dropped)} records missed (page too slow)`);
    if (this.paused) parts.unshift(`paused${this.pending ? ` (${fmtInt(this.pending)} new records held)` : ''}`);
    this.status.textContent = parts.join(' · ');
    this.el.dataset.state = this.streamState;
  }

  private render(): void {
    this.dirty = false;
    this.pending = 0;
    this.renderStatus();
    const rows = this.table.sorted(this.sort, this.ascending, SHOWN);
    if (rows.length === 0) {
      const why =
        this.streamState === 'loading'
          ? 'loading…'
          : this.streamState === 'filter error'
            ? 'fix the filter to see flows'
            : 'no flows match';
      mount(this.tbody, h('tr', { class: 'empty' }, h('td', { colspan: COLUMNS.length }, why)));
      return;
    }
    mount(this.tbody, ...rows.map((r) => this.rowEl(r)));
    if (this.selected) {
      const row = this.table.get(this.selected);
      if (row) this.showDetail(row);
    }
  }

  private rowEl(r: FlowRow): HTMLElement {
    const rec = r.last;
    const s = (k: string): string => (rec[k] === null || rec[k] === undefined ? '' : String(rec[k]));
    const names = [s('sname'), s('dname')].filter(Boolean).join(' → ');
    const geo = [s('sco'), s('dco')].some(Boolean) ? `${s('sco') || '?'}→${s('dco') || '?'}` : '';
    const asn = [s('sas'), s('das')].some(Boolean) ? `AS${s('sas') || '?'}→AS${s('das') || '?'}` : '';
    return h(
      'tr',
      {
        'data-uid': r.uid,
        class: [r.uid === this.selected ? 'selected' : '', r.final ? 'final' : ''].join(' ').trim() || undefined,
        tabindex: 0,
        onclick: () => this.select(r.uid),
        onkeydown: (e: Event) => (e as KeyboardEvent).key === 'Enter' && this.select(r.uid),
      },
      h('td', { class: 'time' }, fmtTime(r.ltime).slice(11)),
      h('td', { class: 'num' }, fmtDuration(rowDur(r))),
      h('td', {}, s('proto')),
      h('td', { class: 'addr', 'data-col': 'src' }, fmtEndpoint(s('saddr'), rec.sport as number | null)),
      h('td', { class: 'dir' }, s('dir')),
      h('td', { class: 'addr', 'data-col': 'dst' }, fmtEndpoint(s('daddr'), rec.dport as number | null)),
      h('td', { class: 'num' }, fmtInt(rowPkts(r))),
      h('td', { class: 'num', 'data-col': 'bytes' }, fmtInt(rowBytes(r))),
      h('td', { class: 'num' }, fmtRate(rowRate(r))),
      h('td', { class: 'state' }, s('state')),
      h('td', { class: 'names' }, [names, geo, asn].filter(Boolean).join(' · ')),
    );
  }

  private select(uid: string): void {
    this.selected = uid;
    const row = this.table.get(uid);
    for (const tr of this.tbody.querySelectorAll('tr.selected')) tr.classList.remove('selected');
    this.tbody.querySelector(`tr[data-uid="${CSS.escape(uid)}"]`)?.classList.add('selected');
    if (row) this.showDetail(row);
  }

  private showDetail(row: FlowRow): void {
    this.el.classList.add('has-detail');
    mount(
      this.detail,
      flowDetail(row, this.ctx.fields, () => {
        this.selected = undefined;
        this.el.classList.remove('has-detail');
        mount(this.detail);
        this.render();
      }),
    );
  }
}
