/**
 * The native canonical-JSON check against JavaScript itself: a line it calls
 * canonical must be exactly what JSON.stringify writes for what JSON.parse
 * makes of it, over many generated records (seeded, so any failure repeats),
 * their re-spellings and some hand-picked edges.
 */
import { jsonCanonicalLines } from '@panoptes/capture';
import { seededRandom } from '@panoptes/flow';

describe('jsonCanonicalLines', () => {
  const rand = seededRandom(20261128);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const number = (): number =>
    pick([
      () => Math.floor(rand() * 1e6),
      () => rand() * 10 ** Math.floor(rand() * 30 - 10),
      () => -rand() * 1e9,
      () => 1_700_000_000 + Math.floor(rand() * 1e9) / 1e6,
      () => 2 ** 53 + Math.floor(rand() * 100),
      () => pick([0, -0, 1e21, 1e-7, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, 123456789012345680000]),
    ])();
  const string = (): string =>
    pick([
      () => 'plain',
      () => `10.${Math.floor(rand() * 256)}.0.${Math.floor(rand() * 256)}`,
      () => 'quote " backslash \\ slash / tab \t nl \n',
      () => String.fromCharCode(Math.floor(rand() * 32)),
      () => 'é☃ 𝄞 \u2028',
      () => '\ud800',
      () => '',
    ])();
  const value = (depth: number): unknown =>
    pick([
      number,
      string,
      () => pick([true, false, null]),
      () => (depth < 2 ? Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1)) : 1),
      () => (depth < 2 ? { inner: value(depth + 1) } : 2),
    ])();
  const key = (): string => pick(['uid', 'saddr', 'stime', 'x', '', '__proto__', '0', '12', 'a b', 'é', '"q"']);

  it('calls canonical only lines JSON.stringify writes back byte for byte', () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const parts: string[] = [];
      const n = Math.floor(rand() * 8);
      for (let k = 0; k < n; k++) parts.push(`${JSON.stringify(key())}:${JSON.stringify(value(1))}`);
      const canonicalish = `{${parts.join(',')}}`;
      lines.push(canonicalish);
      // Re-spellings: whitespace, an escaped slash, a number written otherwise.
      lines.push(canonicalish.replace(/,/g, ', '));
      lines.push(canonicalish.replace(/\//g, '\\/'));
      lines.push(canonicalish.replace(/(\d)(,|})/, '$1.0$2'));
      lines.push(canonicalish.replace(/(\d+)(,|})/, '$1e0$2'));
    }
    const flags = jsonCanonicalLines(Buffer.from(lines.join('\n')));
    expect(flags.length).toBe(lines.length);
    let yes = 0;
    lines.forEach((line, i) => {
      let js = false;
      try {
        js = JSON.stringify(JSON.parse(line)) === line;
      } catch {
        js = false;
      }
      expect(flags[i] === 0 || flags[i] === 1 || flags[i] === 3).toBe(true);
      // Bit 1: the line is all ASCII.
      if (flags[i] !== 0) expect(flags[i] === 3).toBe(Buffer.byteLength(line) === line.length);
      if (flags[i] & 1) {
        yes++;
        if (!js) throw new Error(`called canonical, but JSON.stringify writes it otherwise: ${line}`);
      }
    });
    // Most generated flat records are canonical and recognised as such.
    expect(yes).toBeGreaterThan(lines.length / 10);
  });

  it('recognises flow records as JSON.stringify writes them', () => {
    const flows = Array.from({ length: 1000 }, (_, i) => ({
      uid: `f${i}`,
      stime: 1_700_000_000 + i * 0.000137,
      dur: i / 7,
      saddr: `10.0.${i >> 8}.${i & 255}`,
      sbytes: i * 1500,
      state: 'CON',
      tcprtt: 0.012,
      flgs: ['e', 's'],
    }));
    const flags = jsonCanonicalLines(Buffer.from(flows.map((f) => JSON.stringify(f)).join('\n')));
    expect(Array.from(flags).every((f) => f === 3)).toBe(true);
  });
});
