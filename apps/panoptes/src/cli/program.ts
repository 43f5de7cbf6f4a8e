import { Command } from 'commander';
import { registerRun } from './run.command';
import { registerBenchAll } from './bench.command';
import { registerConvert } from './convert.command';
import { registerCluster } from './cluster.command';
import { registerBenchAggregate } from './bench-aggregate.command';
import { registerRead } from './read.command';
import { registerBenchSensor } from './bench-sensor.command';
import { registerBenchEnrich } from './bench-enrich.command';
import { panoptesVersion } from '../runtime/paths';
import { registerBenchStore } from './bench-store.command';
import { registerBenchKafka } from './bench-kafka.command';

/** Every subcommand registers itself here, one line each. */
const COMMANDS: ((program: Command) => void)[] = [
  registerRun,
  registerBenchAll,
  registerConvert,
  registerCluster,
  registerBenchAggregate,
  registerRead,
  registerBenchSensor,
  registerBenchEnrich,
  registerBenchStore,
  registerBenchKafka,
];

export function buildProgram(): Command {
  const program = new Command('panoptes')
    .description('network flow audit: bidirectional flow records from packets, enriched, stored and exported')
    .version(panoptesVersion())
    .showHelpAfterError();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Sets the exit code the CLI returns (commands do not call process.exit). */
export function setExitCode(cmd: Command, code: number): void {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  root.setOptionValue('exitCode', code);
}
