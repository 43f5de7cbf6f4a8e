import { Command, Option } from 'commander';
import { captureToFile, CaptureOptions, CaptureStats } from '@panoptes/capture';
import { setExitCode } from './program';

interface ReadOptions {
  read: string;
  write: string;
  format: 'json' | 'csv';
  bpf?: string;
  sid: string;
  statusIntervalSec: string;
  progress?: boolean;
}

/**
 * `panoptes read`: the `argus -r FILE` + `ra` habit in one step. The native
 * sensor formats JSON lines or CSV itself and writes the file directly,
 * since nothing sits between sensor and file here.
 */
export function registerRead(program: Command): void {
  program
    .command('read')
    .description('meter a pcap/pcapng file into flow records (JSON lines or CSV, Argus field names)')
    .requiredOption('-r, --read <file>', 'capture file to read (pcap or pcapng)')
    .option('-w, --write <out>', 'output file, - for standard output', '-')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'))
    .option('--bpf <expr>', 'BPF filter (tcpdump syntax)')
    .option('--sid <id>', 'sensor id written in every record', 'read')
    .option('--status-interval-sec <s>', 'status record interval for long flows, 0 for final records only', '5')
    .option('--no-progress', 'no progress bar even on a terminal')
    .action(async (opts: ReadOptions, cmd: Command) => setExitCode(cmd, await read(opts)));
}

async function read(opts: ReadOptions): Promise<number> {
  const interval = Number(opts.statusIntervalSec);
  if (!Number.isFinite(interval) || interval < 0) {
    process.stderr.write(
      `panoptes read: --status-interval-sec must be a number of seconds >= 0, found ${opts.statusIntervalSec}\n`,
    );
    return 1;
  }
  const options: CaptureOptions = {
    file: opts.read,
    bpf: opts.bpf,
    sid: opts.sid,
    statusIntervalSec: interval,
    outputPath: opts.write,
    outputFormat: opts.format,
    dns: false,
  };
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(opts.read)).catch(() => ({ size: 0 }));
  const bar = opts.progress !== false && process.stderr.isTTY && opts.write !== '-' ? new ProgressBar(size) : undefined;
  let result: Awaited<ReturnType<typeof captureToFile>>;
  try {
    result = await captureToFile(options, bar && ((s) => bar.draw(s)));
  } catch (err) {
    bar?.clear();
    process.stderr.write(`panoptes read: ${(err as Error).message}\n`);
    return 1;
  }
  bar?.clear();
  if (result.error && opts.write === '-' && /Broken pipe/.test(result.error.message)) {
    // The reader of standard output went away (| head): not an error, as for ra.
    return 0;
  }
  if (result.error) {
    // The records read before the error are already written.
    process.stderr.write(
      `panoptes read: ${result.error.message} (${result.stats.records} records written before it)\n`,
    );
    return 1;
  }
  return 0;
}

class ProgressBar {
  constructor(private readonly total: number) {}

  draw(s: CaptureStats): void {
    const frac = this.total > 0 ? Math.min(1, s.fileOffset / this.total) : 0;
    const width = 30;
    const done = Math.round(frac * width);
    const line = `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${s.packets} packets  ${s.records} records`;
    process.stderr.write(`\r${line}`);
  }

  clear(): void {
    process.stderr.write('\r\x1b[K');
  }
}
