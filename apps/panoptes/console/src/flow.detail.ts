// The flow detail panel: every field of the flow's latest record, grouped as
// the catalogue groups them (key, time, counters, metrics, enrichment), with
// totals over all the flow's records and the catalogue's meaning as a tooltip.

import { h } from './dom';
import { FlowRow, rowBytes, rowDur, rowPkts, rowRate } from './flow.table';
import { fmtBytes, fmtDuration, fmtInt, fmtRate, fmtTime } from './format';
import { FieldInfo } from './view';

const GROUP_TITLES: Record<string, string> = {
  meta: 'Record',
  key: 'Flow key',
  time: 'Time',
  counter: 'Counters (this record)',
  metric: 'Metrics',
  enrich: 'Geo, AS and DNS',
};

function value(f: FieldInfo | undefined, v: unknown): string {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v === 'number' && f) {
    if (f.type === 'time') return `${fmtTime(v)} (${v})`;
    if (f.unit === 's') return fmtDuration(v);
    if (f.type === 'int') return f.unit ? `${fmtInt(v)} ${f.unit}` : String(v);
    if (f.unit) return `${Number(v.toFixed(3))} ${f.unit}`;
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function flowDetail(row: FlowRow, fields: readonly FieldInfo[], onClose: () => void): HTMLElement {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const rec = row.last;
  const groups = new Map<string, [string, unknown][]>();
  const order = fields.map((f) => f.name);
  // Every catalogue field, in catalogue order, set or not (a dash shows what enrichment did not add);
  // anything else the API sends comes last.
  const names = [...order, ...Object.keys(rec).filter((k) => !byName.has(k))];
  for (const n of names) {
    const g = byName.get(n)?.group ?? 'other';
    groups.set(g, [...(groups.get(g) ?? []), [n, rec[n]]]);
  }
  const section = (title: string, entries: [string, string, string?][]) =>
    h(
      'section',
      {},
      h('h3', {}, title),
      h('dl', {}, ...entries.flatMap(([k, v, tip]) => [h('dt', { title: tip }, k), h('dd', { 'data-field': k }, v)])),
    );

  const title = `${rec.saddr ?? '?'} ${rec.dir ?? '->'} ${rec.daddr ?? '?'}`;
  return h(
    'aside',
    { class: 'detail', 'aria-label': 'flow detail' },
    h(
      'header',
      {},
      h('h2', {}, title),
      h('button', { class: 'icon', title: 'close', 'aria-label': 'close detail', onclick: onClose }, '×'),
    ),
    section('Flow totals', [
      ['records', String(row.records), 'records folded into this row'],
      ['first', fmtTime(row.stime)],
      ['last', fmtTime(row.ltime)],
      ['duration', fmtDuration(rowDur(row))],
      ['packets', `${fmtInt(rowPkts(row))} (${fmtInt(row.spkts)} → / ${fmtInt(row.dpkts)} ←)`],
      ['bytes', `${fmtBytes(rowBytes(row))} (${fmtInt(row.sbytes)} → / ${fmtInt(row.dbytes)} ←)`],
      ['rate', fmtRate(rowRate(row))],
      ['state', row.final ? 'final' : 'active'],
    ]),
    ...[...groups.entries()].map(([g, entries]) =>
      section(
        GROUP_TITLES[g] ?? 'Other',
        entries.map(([n, v]) => {
          const f = byName.get(n);
          return [n, value(f, v), f ? `${f.description}${f.unit ? ` (${f.unit})` : ''}` : undefined];
        }),
      ),
    ),
  );
}
