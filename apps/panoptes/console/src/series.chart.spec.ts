import { densify, niceTicks, timeLabel, timeSeriesSvg, timeTicks } from './series.chart';

describe('series.chart', () => {
  it('picks round ticks of 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 1000, 4)).toEqual([0, 500, 1000]);
    expect(niceTicks(0, 87, 4)).toEqual([0, 50]);
    expect(niceTicks(0, 0.9, 4)).toEqual([0, 0.5]);
    expect(niceTicks(0, 9, 4)).toEqual([0, 5]);
    // A y axis covers its maximum with the next round value.
    expect(niceTicks(0, 87, 4, true)).toEqual([0, 50, 100]);
    expect(niceTicks(0, 100, 4, true)).toEqual([0, 50, 100]);
  });

  it('fills the bins the aggregate left out with zero', () => {
    expect(densify([{ t: 120, v: 5 }], 60, 240, 60)).toEqual([
      { t: 60, v: 0 },
      { t: 120, v: 5 },
      { t: 180, v: 0 },
    ]);
  });

  it('puts time ticks on whole minutes, hours or days', () => {
    expect(timeTicks(1700000010, 1700000370, 6)).toEqual([
      1700000040, 1700000100, 1700000160, 1700000220, 1700000280, 1700000340,
    ]);
    const hours = timeTicks(1700000000, 1700000000 + 5 * 3600, 6);
    expect(hours.every((t) => t % 3600 === 0)).toBe(true);
    expect(timeLabel(1700000000, 60)).toBe('22:13:20');
    expect(timeLabel(1700000000, 3600)).toBe('22:13');
    expect(timeLabel(1700000000, 30 * 86400)).toBe('2023-11-14');
  });

  it('draws one hover target per bin, scaled to the largest value', () => {
    const pts = [
      { t: 100, v: 10 },
      { t: 160, v: 40 },
      { t: 220, v: 20 },
    ];
    const svg = timeSeriesSvg(pts, {
      width: 400,
      height: 200,
      format: String,
      series: 's',
      label: 'bytes',
      bin: 60,
      fontSize: 10,
    });
    expect(svg.match(/<rect class="pt"/g)).toHaveLength(3);
    expect(svg).toContain('<title>00:02:40 40</title>');
    // The tallest bin touches the top of the plot area (padT = 9 at font size 10; the top tick is 40).
    expect(svg).toMatch(/L[\d.]+,9\.0H/);
    expect(svg).toContain('aria-label="bytes"');
    expect(svg).not.toContain('no data');
  });

  it('ends a time label at the right edge instead of running past it', () => {
    // 12 s over 3840-ish px: a tick at the very end of the range.
    const svg = timeSeriesSvg([{ t: 0, v: 1 }], {
      width: 800,
      height: 200,
      format: String,
      series: 's',
      label: 'x',
      bin: 1,
      from: 0,
      to: 12,
      fontSize: 10,
    });
    const ticks = [
      ...svg.matchAll(/<text class="tick" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">(\d\d:\d\d:\d\d)<\/text>/g),
    ].map((m) => [Number(m[1]), m[2], m[3]]);
    expect(ticks[ticks.length - 1]).toEqual([799, 'end', '00:00:12']);
    expect(ticks.slice(0, -1).every(([, anchor]) => anchor === 'middle')).toBe(true);
  });

  it('says so when there is nothing to draw, and escapes labels', () => {
    const svg = timeSeriesSvg([], { width: 400, height: 200, format: String, series: 's', label: '<b>', bin: 60 });
    expect(svg).toContain('no data in this range');
    expect(svg).toContain('aria-label="&#60;b&#62;"');
  });
});
