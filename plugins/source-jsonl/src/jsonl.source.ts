import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { flowRecordProblem } from '@panoptes/flow';
import { PluginContext, PluginError, SourceService } from '@panoptes/plugin-sdk';
import { JsonlSourceConfig } from './jsonl.config';

/**
 * Replays a JSON-lines flow file. Each batch is emitted and awaited before
 * the next is read, so a slow consumer slows the read (back-pressure). A line
 * that is not a flow record is dead-lettered with its line number.
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
    const input = path === '-' ? process.stdin : createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      if (input === process.stdin) return resolve();
      input.once('open', () => resolve());
      input.once('error', (err: Error) => reject(new PluginError(`cannot open ${path}`, err)));
    });
    this.finished = this.run(input);
  }

  private async run(input: NodeJS.ReadableStream): Promise<void> {
    const rl = createInterface({ input, crlfDelay: Infinity });
    let batch: unknown[] = [];
    try {
      for await (const line of rl) {
        this.lines++;
        if (this.stopping) break;
        if (line.trim() === '') continue;
        const parsed = this.parse(line);
        if ('problem' in parsed) {
          this.ctx.count('bad_lines');
          await this.ctx.reject(`${this.config.path}:${this.lines}: ${parsed.problem}`, line);
          continue;
        }
        batch.push(parsed.record);
        if (batch.length >= this.config.batchSize) {
          await this.flush(batch);
          batch = [];
        }
      }
      await this.flush(batch);
    } catch (err) {
      throw new PluginError(`cannot read ${this.config.path} at line ${this.lines}`, err);
    } finally {
      rl.close();
      if (input !== process.stdin) (input as NodeJS.ReadableStream & { destroy(): void }).destroy();
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
