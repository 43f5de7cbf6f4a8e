import { open } from 'node:fs/promises';
import { flowRecordProblem, readLineBatches } from '@panoptes/flow';
import { PluginContext, PluginError, SourceService } from '@panoptes/plugin-sdk';
import { JsonlSourceConfig } from './jsonl.config';

/**
 * Replays a JSON-lines flow file. Each batch is emitted and awaited before
 * the next is read, so a slow consumer slows the read (back-pressure). A line
 * that is not a flow record is dead-lettered with its line number. Batches
 * carry no JSON text (jsonLines): the file is spelled by whoever wrote it, and
 * what a sink downstream writes must not depend on that spelling, nor on
 * whether the bus between them is embedded or Kafka.
 */
export class JsonlSource implements SourceService {
  private stopping = false;
  private finished!: Promise<void>;
  private lines = 0;
  private emitted = 0;

  constructor(
    private readonly config: JsonlSourceConfig,
    private readonly ctx: PluginContext,
  ) {}

  get done(): Promise<void> {
    return this.finished;
  }

  async start(): Promise<void> {
    const { path } = this.config;
    if (path !== '-') {
      // Fail at start, not later in the read loop, when the file cannot be opened.
      const fh = await open(path, 'r').catch((err: Error) => {
        throw new PluginError(`cannot open ${path}`, err);
      });
      await fh.close();
    }
    this.finished = this.run();
  }

  private async run(): Promise<void> {
    let batch: unknown[] = [];
    // One batch is emitted while the next is read and parsed; emits stay one at a time, in order.
    let sending: Promise<void> = Promise.resolve();
    const send = async (records: unknown[]): Promise<void> => {
      await sending;
      sending = this.flush(records);
      sending.catch(() => undefined); // awaited before the next emit or at the end
    };
    try {
      for await (const chunk of readLineBatches(this.config.path)) {
        for (let i = 0; i < chunk.lines.length; i++) {
          if (this.stopping) break;
          const line = chunk.lines[i];
          this.lines = chunk.first + i;
          if (line.trim() === '') continue;
          const parsed = this.parse(line);
          if ('problem' in parsed) {
            this.ctx.count('bad_lines');
            await this.ctx.reject(`${this.config.path}:${this.lines}: ${parsed.problem}`, line);
            continue;
          }
          batch.push(parsed.record);
          if (batch.length >= this.config.batchSize) {
            await send(batch);
            batch = [];
          }
        }
        if (this.stopping) break;
      }
      await send(batch);
      await sending;
    } catch (err) {
      await sending.catch(() => undefined);
      throw new PluginError(`cannot read ${this.config.path} at line ${this.lines}`, err);
    }
  }

  private parse(line: string): { record: unknown } | { problem: string } {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      return { problem: `not valid JSON: ${(err as Error).message}` };
    }
    const problem = this.config.validate ? flowRecordProblem(record) : undefined;
    return problem ? { problem } : { record };
  }

  private async flush(batch: unknown[]): Promise<void> {
    if (batch.length === 0) return;
    await this.ctx.emit(batch);
    this.emitted += batch.length;
    this.ctx.count('records', batch.length);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.finished?.catch(() => undefined);
  }

  stats(): Record<string, number> {
    return { lines: this.lines, emitted: this.emitted };
  }
}
