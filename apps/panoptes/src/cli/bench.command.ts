import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { repoRoot } from '../runtime/paths';
import { setExitCode } from './program';

/** The `bench` command group that every benchmark registers under. */
export function benchGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'bench') ??
    program.command('bench').description('benchmarks, one JSON line each (speed lives here, never in tests)')
  );
}

interface AllOptions {
  runs: string;
  storeRecords: string;
  kafkaRecords: string;
}

/** `bench all`: every benchmark in turn, each in its own process, beside its reference where it has one. */
export function registerBenchAll(program: Command): void {
  benchGroup(program)
    .command('all')
    .description(
      'run every benchmark in turn (sensor and read beside argus, aggregate beside racluster, enrich, kafka, store)',
    )
    .option('--runs <n>', 'runs per timed figure (medians or best, as each benchmark says)', '5')
    .option('--store-records <n>', 'records in the store benchmark (the issue figure is 10000000)', '1000000')
    .option('--kafka-records <n>', 'records through the Kafka pipeline', '1000000')
    .action((opts: AllOptions, cmd: Command) => setExitCode(cmd, benchAll(opts)));
}

function benchAll(opts: AllOptions): number {
  const root = repoRoot();
  const cli = [process.execPath, join(root, 'apps', 'panoptes', 'bin', 'panoptes.js')];
  const steps: [string, string[]][] = [
    ['sensor and read vs argus', ['bash', join(root, 'native', 'capture', 'bench-vs-argus.sh'), opts.runs]],
    ['aggregate vs racluster', [...cli, 'bench', 'aggregate', '--runs', opts.runs]],
    ['enrich', [...cli, 'bench', 'enrich']],
    ['kafka', [...cli, 'bench', 'kafka', '--records', opts.kafkaRecords]],
    ['store', [...cli, 'bench', 'store', '--records', opts.storeRecords, '--runs', '50']],
  ];
  let failed = 0;
  for (const [name, [bin, ...args]] of steps) {
    process.stderr.write(`bench all: ${name}\n`);
    const r = spawnSync(bin, args, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`bench all: ${name} failed (exit ${r.status ?? r.signal})\n`);
    }
  }
  return failed ? 1 : 0;
}
