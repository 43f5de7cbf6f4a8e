import { open } from 'node:fs/promises';
import { LINE_CANONICAL } from '@panoptes/capture';
import { flowRecordProblem, readLineBatches } from '@panoptes/flow';
import { PluginContext, PluginError, SourceService, withJsonLines } from '@panoptes/plugin-sdk';
import { JsonlSourceConfig } from './jsonl.config';

/**
 * Replays a JSON-lines flow file. Each batch is emitted and awaited before
 * the next is read, so a slow consumer slows the read (back-pressure). A line
 * that is not a flow record is dead-lettered with its line number. A line
 * spelled exactly as JSON.stringify spells its record (checked natively) rides
 * on the batch as the record's text (jsonLines), so a writer downstream need
 * not encode it again; other lines do not, so what a sink writes never
 * depends on how the file was spelled, nor on the bus in between. Over Kafka
 * (textOutput) and without validation, such a line is not even parsed: it
 * travels as a text record.
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
    let texts: (string | undefined)[] = [];
    // One batch is emitted while the next is read and parsed; emits stay one at a time, in order.
    let sending: Promise<void> = Promise.resolve();
    const send = async (records: unknown[], recordTexts: (string | undefined)[]): Promise<void> => {
      await sending;
      sending = this.flush(withJsonLines(records, recordTexts));
      sending.catch(() => undefined); // awaited before the next emit or at the end
    };
    const asText = this.ctx.textOutput === true && !this.config.validate;
    try {
      for await (const chunk of readLineBatches(this.config.path, { canonical: true })) {
        const canonical = chunk.canonical;
        for (let i = 0; i < chunk.lines.length; i++) {
          if (this.stopping) break;
          const line = chunk.lines[i];
          this.lines = chunk.first + i;
          if (line.trim() === '') continue;
          const isCanonical = canonical !== undefined && (canonical[i] & LINE_CANONICAL) !== 0;
          if (asText && isCanonical) {
            // Over Kafka, unvalidated: a canonical line needs no parse, it travels as a text record.
            batch.push(line);
            texts.push(undefined);
          } else {
            const parsed = this.parse(line);
            if ('problem' in parsed) {
              this.ctx.count('bad_lines');
              await this.ctx.reject(`${this.config.path}:${this.lines}: ${parsed.problem}`, line);
              continue;
            }
            batch.push(parsed.record);
            texts.push(isCanonical ? line : undefined);
          }
          if (batch.length >= this.config.batchSize) {
            await send(batch, texts);
            batch = [];
            texts = [];
          }
        }
        if (this.stopping) break;
      }
      await send(batch, texts);
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
