// Time-series charts as SVG markup, drawn by our own code (no chart library):
// nice axis ticks, an area + line path, and a hover title per point.

import { esc } from './dom';

export interface Point {
  /** Epoch seconds at the start of the bin. */
  t: number;
  v: number;
}

export interface ChartOptions {
  width: number;
  height: number;
  /** Formats a value for the y axis and the hover titles. */
  format: (v: number) => string;
  /** CSS class of the series (its colour comes from the stylesheet). */
  series: string;
  /** Accessible name of the chart. */
  label: string;
  /** Bin width in seconds: each point is drawn as a step from t to t + bin. */
  bin: number;
  /** Fixed x range; defaults to the points' extent. */
  from?: number;
  to?: number;
  /** Size of the tick text in SVG units. */
  fontSize?: number;
}

/**
 * Round tick values with about `count` steps of 1, 2 or 5 × 10^n: inside
 * [min, max], or, with `cover`, reaching the first round value at or above max
 * (a y axis whose top tick must not cut off the tallest bar).
 */
export function niceTicks(min: number, max: number, count = 5, cover = false): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  const end = cover ? Math.ceil(max / step - 1e-9) * step : max;
  for (let v = Math.ceil(min / step) * step; v <= end + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * Every bin from `from` to `to`, zero where the aggregate had no row (it
 * returns only bins with flows), so a quiet minute reads as zero, not as a
 * line drawn across it.
 */
export function densify(points: readonly Point[], from: number, to: number, bin: number): Point[] {
  const by = new Map(points.map((p) => [p.t, p.v]));
  const out: Point[] = [];
  for (let t = Math.floor(from / bin) * bin; t < to; t += bin) out.push({ t, v: by.get(t) ?? 0 });
  return out;
}

const TIME_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
];

/** Time ticks on whole seconds, minutes, hours or days (UTC), about `count` of them. */
export function timeTicks(from: number, to: number, count = 6): number[] {
  if (!(to > from)) return [from];
  const step = TIME_STEPS.find((s) => (to - from) / s <= count) ?? 86400 * Math.ceil((to - from) / count / 86400);
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Tick label: seconds shown only when the span is short, the date only when it is long. */
export function timeLabel(t: number, span: number): string {
  const d = new Date(t * 1000);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (span <= 300) return `${hm}:${pad(d.getUTCSeconds())}`;
  if (span <= 2 * 86400) return hm;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The whole chart as an <svg> string. Empty input draws the frame and a "no data" note. */
export function timeSeriesSvg(points: readonly Point[], o: ChartOptions): string {
  const fs = o.fontSize ?? 11;
  const padL = Math.round(fs * 6.5);
  const padR = 12;
  const padT = Math.round(fs * 0.9);
  const padB = Math.round(fs * 2.2);
  const w = Math.max(o.width, padL + padR + 10);
  const hgt = Math.max(o.height, padT + padB + 10);
  const pw = w - padL - padR;
  const ph = hgt - padT - padB;
  const from = o.from ?? (points.length ? points[0].t : 0);
  const to = o.to ?? (points.length ? points[points.length - 1].t + o.bin : 1);
  const span = Math.max(to - from, 1);
  const vmax = Math.max(0, ...points.map((p) => p.v));
  const yTicks = niceTicks(0, vmax > 0 ? vmax : 1, 4, true);
  const ytop = yTicks[yTicks.length - 1] || 1;
  const x = (t: number): number => padL + ((t - from) / span) * pw;
  const y = (v: number): number => padT + ph - (v / ytop) * ph;
  const f = (n: number): string => n.toFixed(1);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${esc(o.series)}" viewBox="0 0 ${w} ${hgt}" width="${w}" height="${hgt}" font-size="${fs}" role="img" aria-label="${esc(o.label)}">`,
  );
  for (const v of yTicks) {
    parts.push(`<line class="grid" x1="${padL}" x2="${w - padR}" y1="${f(y(v))}" y2="${f(y(v))}"/>`);
    parts.push(
      `<text class="tick" x="${padL - 6}" y="${f(y(v) + fs * 0.35)}" text-anchor="end">${esc(o.format(v))}</text>`,
    );
  }
  for (const t of timeTicks(from, to, Math.max(2, Math.floor(pw / (fs * 10))))) {
    parts.push(`<line class="grid" x1="${f(x(t))}" x2="${f(x(t))}" y1="${padT}" y2="${padT + ph}"/>`);
    // A label at the right edge ends there instead of running past the chart.
    const label = timeLabel(t, span);
    const end = x(t) + (label.length * fs * 0.62) / 2 > w;
    parts.push(
      `<text class="tick" x="${f(end ? w - 1 : x(t))}" y="${hgt - 6}" text-anchor="${end ? 'end' : 'middle'}">${esc(label)}</text>`,
    );
  }
  parts.push(`<rect class="frame" x="${padL}" y="${padT}" width="${pw}" height="${ph}"/>`);
  if (points.length === 0) {
    parts.push(
      `<text class="empty" x="${padL + pw / 2}" y="${padT + ph / 2}" text-anchor="middle">no data in this range</text>`,
    );
  } else {
    // A step per bin: the value held from the bin's start to its end.
    const cx = (t: number): number => Math.min(Math.max(x(t), padL), padL + pw);
    const steps = points.map((p, i) => `${i ? 'L' : 'M'}${f(cx(p.t))},${f(y(p.v))}H${f(cx(p.t + o.bin))}`).join('');
    const area = `M${f(cx(points[0].t))},${f(y(0))}${steps.replace(/^M/, 'L')}V${f(y(0))}Z`;
    parts.push(`<path class="area" d="${area}"/>`);
    parts.push(`<path class="line" d="${steps}"/>`);
    for (const p of points) {
      const bw = Math.max(1, cx(p.t + o.bin) - cx(p.t));
      parts.push(
        `<rect class="pt" x="${f(cx(p.t))}" y="${padT}" width="${f(bw)}" height="${ph}"><title>${esc(timeLabel(p.t, 0))} ${esc(o.format(p.v))}</title></rect>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}
