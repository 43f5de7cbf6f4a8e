/**
 * Runs the crate's Rust unit tests (`cargo test`) as part of `npm test`, so
 * the parsers' own tests (truncations, pointer loops, refills, Community ID
 * vectors) gate CI like every spec.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('native/capture Rust unit tests', () => {
  it('cargo test passes', () => {
    const r = spawnSync('cargo', ['test', '--quiet', '--manifest-path', join(__dirname, 'Cargo.toml')], {
      encoding: 'utf8',
      timeout: 900_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) throw new Error(`cargo test failed:\n${out.slice(-4000)}`);
    const passed = [...out.matchAll(/test result: ok\. (\d+) passed; 0 failed/g)].reduce((s, m) => s + Number(m[1]), 0);
    expect(passed).toBeGreaterThanOrEqual(10);
  });
});
