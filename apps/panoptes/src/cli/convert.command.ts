import { createWriteStream, WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Command } from 'commander';
import { csvHeader, encodeFlowCsv, encodeFlowJson } from '@panoptes/flow';
import { setExitCode } from './program';

interface ConvertOptions {
  from: string;
  write?: string;
  format: string;
  sid: string;
}

/**
 * `panoptes convert --from zeek conn.log [-w OUT]`: turns other tools' flow
 * logs into Panoptes flow records (JSON lines, or CSV), the way raconvert
 * turns them into Argus records. Broken lines are reported on stderr as
 * `file:line: reason` and the conversion goes on.
 *
 * Exit codes: 0 every line converted; 3 some lines were bad (the rest was
 * written); 1 an input could not be read or the options are wrong.
 */
export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert Zeek conn.log / dns.log (TSV or JSON; files or directories) to Panoptes flow records')
    .argument('<inputs...>', 'Zeek log files or directories of them')
    .requiredOption('--from <format>', 'input format: zeek')
    .option('-w, --write <file>', 'output file (default: standard output)')
    .option('--format <format>', 'output format: json (JSON lines) or csv', 'json')
    .option('--sid <name>', 'value of the sid field of every record', 'zeek')
    .action(async (inputs: string[], opts: ConvertOptions, cmd: Command) =>
      setExitCode(cmd, await convert(inputs, opts)),
    );
}

async function convert(inputs: string[], opts: ConvertOptions): Promise<number> {
  // Loaded here so that other commands start without it (and its plugin SDK).
  const { readZeekFile, zeekLogsIn } = await import('@panoptes/plugin-ingest-zeek');
  if (opts.from !== 'zeek') {
    process.stderr.write(`panoptes convert: --from ${opts.from}: unknown input format (known: zeek)\n`);
    return 1;
  }
  if (opts.format !== 'json' && opts.format !== 'csv') {
    process.stderr.write(`panoptes convert: --format ${opts.format}: expected json or csv\n`);
    return 1;
  }
  const files: string[] = [];
  for (const input of inputs) {
    try {
      files.push(...((await stat(input)).isDirectory() ? await zeekLogsIn(input) : [input]));
    } catch (err) {
      process.stderr.write(`panoptes convert: cannot read ${input}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const out: NodeJS.WritableStream = opts.write ? createWriteStream(opts.write) : process.stdout;
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (out.write(text)) return resolve();
      out.once('drain', resolve);
      out.once('error', reject);
    });
  const n = { flows: 0, dns: 0, bad: 0, unanswered: 0 };
  let headerWritten = false;
  let failed = false;
  for (const file of files) {
    try {
      await readZeekFile(file, { sid: opts.sid }, async (item) => {
        switch (item.kind) {
          case 'flow':
            n.flows++;
            if (opts.format === 'csv') {
              if (!headerWritten) await write(csvHeader() + '\n');
              headerWritten = true;
              await write(encodeFlowCsv(item.record) + '\n');
            } else await write(encodeFlowJson(item.record) + '\n');
            return;
          case 'dns':
            n.dns++;
            // DNS answers are not flow records: JSON lines only, whatever --format says for flows.
            if (opts.format === 'json') await write(JSON.stringify(item.answer) + '\n');
            return;
          case 'unanswered':
            n.unanswered++;
            return;
          case 'error':
            n.bad++;
            process.stderr.write(`${item.file}:${item.line}: ${item.reason}\n`);
            return;
        }
      });
    } catch (err) {
      process.stderr.write(`panoptes convert: cannot read ${file}: ${(err as Error).message}\n`);
      failed = true;
    }
  }
  if (opts.write)
    await new Promise<void>((resolve, reject) =>
      (out as WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  const dnsNote = opts.format === 'csv' && n.dns ? ' (not written: csv output holds flow records only)' : '';
  process.stderr.write(
    `converted ${n.flows} flow records and ${n.dns} dns answers${dnsNote} from ${files.length} file${files.length === 1 ? '' : 's'}` +
      `; ${n.bad} bad line${n.bad === 1 ? '' : 's'}, ${n.unanswered} unanswered dns queries\n`,
  );
  return failed ? 1 : n.bad ? 3 : 0;
}
