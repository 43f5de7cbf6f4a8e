import { stat } from 'node:fs/promises';
import { DnsAnswer, FlowRecord } from '@panoptes/flow';
import { PluginContext, PluginError, SourceService } from '@panoptes/plugin-sdk';
import { ZeekIngestConfig } from './zeek.config';
import { readZeekFile, ZeekItem, zeekLogsIn } from './zeek.reader';

/**
 * Reads Zeek conn.log and dns.log files (one file, a directory, or followed
 * as they grow) and emits flow records on `flows` and DNS answers on `dns`.
 * Each broken line is counted (`bad_lines`) and dead-lettered with
 * `file:line: reason`; the read goes on.
 */
export class ZeekSource implements SourceService {
  private finished?: Promise<void>;
  private abort?: AbortController;
  private flows: FlowRecord[] = [];
  private answers: DnsAnswer[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private readonly counts = { flows: 0, dns: 0, bad: 0, unanswered: 0, files: 0 };

  constructor(
    private readonly config: ZeekIngestConfig,
    private readonly ctx: PluginContext,
  ) {}

  get done(): Promise<void> | undefined {
    return this.config.follow ? undefined : this.finished;
  }

  async start(): Promise<void> {
    const { path } = this.config;
    const st = await stat(path).catch((err: unknown) => {
      throw new PluginError(`cannot read ${path}`, err);
    });
    this.abort = new AbortController();
    if (this.config.follow) {
      // A followed log may go quiet for a long time: hand over what was read so far regularly.
      this.timer = setInterval(() => void this.flush().catch(() => undefined), this.config.pollIntervalMs);
    }
    this.finished = (st.isDirectory() ? this.readDirectory(path) : this.readFile(path)).finally(() => this.flush());
  }

  private readFile(file: string): Promise<void> {
    this.counts.files++;
    const { sid, follow, pollIntervalMs } = this.config;
    return readZeekFile(file, { sid, follow, pollIntervalMs, signal: this.abort!.signal }, (item) =>
      this.onItem(item),
    ).catch((err: unknown) => {
      throw new PluginError(`cannot read ${file}`, err);
    });
  }

  private async readDirectory(dir: string): Promise<void> {
    if (!this.config.follow) {
      for (const file of await zeekLogsIn(dir)) await this.readFile(file);
      return;
    }
    // Following a directory: tail every log already there and every one that appears later.
    const tailing = new Map<string, Promise<void>>();
    const signal = this.abort!.signal;
    while (!signal.aborted) {
      for (const file of await zeekLogsIn(dir).catch(() => [])) {
        if (!tailing.has(file)) {
          tailing.set(
            file,
            this.readFile(file).catch((err: unknown) =>
              this.ctx.log.error('zeek log read failed', { file, error: String(err) }),
            ),
          );
        }
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.config.pollIntervalMs);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    await Promise.all(tailing.values());
  }

  private async onItem(item: ZeekItem): Promise<void> {
    switch (item.kind) {
      case 'flow':
        this.flows.push(item.record);
        if (this.flows.length >= this.config.batchSize) await this.flush();
        return;
      case 'dns':
        this.answers.push(item.answer);
        if (this.answers.length >= this.config.batchSize) await this.flush();
        return;
      case 'unanswered':
        this.counts.unanswered++;
        this.ctx.count('dns_unanswered');
        return;
      case 'error':
        this.counts.bad++;
        this.ctx.count('bad_lines');
        this.ctx.log.warn('bad zeek log line', { file: item.file, line: item.line, reason: item.reason });
        await this.ctx.reject(`${item.file}:${item.line}: ${item.reason}`, item.text);
        return;
    }
  }

  /** Emits what is buffered; calls are serialised so batches keep their order. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const flows = this.flows.splice(0);
      const answers = this.answers.splice(0);
      if (flows.length) {
        await this.ctx.emit(flows, 'flows');
        this.counts.flows += flows.length;
        this.ctx.count('records', flows.length);
      }
      if (answers.length) {
        await this.ctx.emit(answers, 'dns');
        this.counts.dns += answers.length;
        this.ctx.count('dns_answers', answers.length);
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.finished?.catch(() => undefined);
    await this.flush();
  }

  stats(): Record<string, number> {
    return {
      flows: this.counts.flows,
      dnsAnswers: this.counts.dns,
      badLines: this.counts.bad,
      dnsUnanswered: this.counts.unanswered,
      files: this.counts.files,
    };
  }
}
