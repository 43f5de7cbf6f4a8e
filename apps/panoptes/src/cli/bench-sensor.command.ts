import { Command, Option } from 'commander';
import { benchGroup } from './bench.command';
import { captureToFile } from '@panoptes/capture';
import { setExitCode } from './program';

interface BenchSensorOptions {
  format: 'none' | 'json' | 'csv';
  out: string;
}

/**
 * `panoptes bench sensor FILE`: the native sensor alone (read, decode, flow
 * table, records made and discarded) unless --format asks for formatting too.
 * Prints one JSON line. Adds itself under `bench`, creating it if no other
 * benchmark has.
 */
export function registerBenchSensor(program: Command): void {
  const bench = benchGroup(program);
  bench
    .command('sensor')
    .description('meter a capture file as fast as possible: {packets, flows, records, seconds, pps, peakRssMiB}')
    .argument('<file>', 'pcap or pcapng file')
    .addOption(
      new Option('--format <format>', 'also format records (written to --out)')
        .choices(['none', 'json', 'csv'])
        .default('none'),
    )
    .option('--out <file>', 'where formatted records go', '/dev/null')
    .action(async (file: string, opts: BenchSensorOptions, cmd: Command) =>
      setExitCode(cmd, await benchSensor(file, opts)),
    );
}

async function benchSensor(file: string, opts: BenchSensorOptions): Promise<number> {
  const t0 = process.hrtime.bigint();
  const { stats, error } = await captureToFile({
    file,
    outputFormat: opts.format,
    outputPath: opts.format === 'none' ? undefined : opts.out,
    dns: true,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (error) {
    process.stderr.write(`panoptes bench sensor: ${error.message}\n`);
    return 1;
  }
  const line = {
    packets: stats.packets,
    flows: stats.flowsCreated,
    records: stats.records,
    seconds: Number(seconds.toFixed(3)),
    pps: Math.round(stats.packets / seconds),
    peakRssMiB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return 0;
}
