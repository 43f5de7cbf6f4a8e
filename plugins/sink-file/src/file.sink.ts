import { FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { csvHeader, encodeFlowCsv, FIELD_BY_NAME, FlowRecord } from '@panoptes/flow';
import { jsonBytes, jsonTextsOf, PluginContext, PluginError, SinkService } from '@panoptes/plugin-sdk';
import { FileSinkConfig } from './file.config';

const NEWLINE = Buffer.from('\n');

/**
 * Writes records as JSON lines or CSV to a file or stdout. Rotation renames
 * the full file to `<path>.<UTC time>[-n]` and starts a new one; stop()
 * flushes and fsyncs.
 */
export class FileSink implements SinkService {
  private file?: FileHandle;
  private size = 0;
  private openedAt = 0;
  private rotations = 0;
  private written = 0;
  private headerFields?: string[];

  constructor(
    private config: FileSinkConfig,
    private readonly ctx: PluginContext,
  ) {}

  private get toStdout(): boolean {
    return this.config.path === '-';
  }

  async start(): Promise<void> {
    if (!this.toStdout) await this.openFile(this.config.append ? 'a' : 'w');
  }

  private async openFile(flags: 'a' | 'w'): Promise<void> {
    try {
      await mkdir(dirname(this.config.path), { recursive: true });
      this.file = await open(this.config.path, flags);
      this.size = flags === 'a' ? (await this.file.stat()).size : 0;
      this.openedAt = Date.now();
      this.headerFields = undefined;
    } catch (err) {
      throw new PluginError(`cannot open ${this.config.path}`, err);
    }
  }

  async handle(records: unknown[]): Promise<void> {
    if (this.shouldRotate()) await this.rotate();
    const data = this.config.format === 'csv' ? this.csv(records) : this.json(records);
    await this.write(data);
    this.written += records.length;
    this.ctx.count('written', records.length);
  }

  private json(records: unknown[]): string | Buffer {
    // Text records read from Kafka: the very bytes they came in (see jsonBytes).
    const bytes = jsonBytes(records);
    if (bytes) return Buffer.concat(bytes.flatMap((b) => [b, NEWLINE]));
    // Flow records and any other record type alike: one JSON object per line,
    // written as the text the record carries when it has one (see jsonTextsOf).
    return jsonTextsOf(records).join('\n') + '\n';
  }

  private csv(records: unknown[]): string {
    let out = '';
    if (!this.headerFields && records.length) {
      const first = records[0] as Record<string, unknown>;
      this.headerFields = this.config.fields.length
        ? this.config.fields
        : isFlow(first)
          ? [...FIELD_BY_NAME.keys()]
          : Object.keys(first);
      if (this.size === 0) out += csvHeader(this.headerFields) + '\n';
    }
    for (const r of records) out += encodeFlowCsv(r as FlowRecord, this.headerFields) + '\n';
    return out;
  }

  private async write(data: string | Buffer): Promise<void> {
    if (this.toStdout) {
      if (!process.stdout.write(data)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
      return;
    }
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += (await this.file!.write(buf, off, buf.length - off)).bytesWritten;
    this.size += buf.length;
  }

  private shouldRotate(): boolean {
    if (this.toStdout || !this.file) return false;
    const { rotateBytes, rotateSec } = this.config;
    return (
      (rotateBytes > 0 && this.size >= rotateBytes) || (rotateSec > 0 && Date.now() - this.openedAt >= rotateSec * 1000)
    );
  }

  private async rotate(): Promise<void> {
    await this.file!.sync();
    await this.file!.close();
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    this.rotations++;
    await rename(this.config.path, `${this.config.path}.${stamp}-${this.rotations}`);
    await this.openFile('w');
    this.ctx.count('rotations');
  }

  async reconfigure(config: object): Promise<void> {
    await this.stop();
    this.config = config as FileSinkConfig;
    await this.start();
  }

  async stop(): Promise<void> {
    if (!this.file) return;
    const f = this.file;
    this.file = undefined;
    await f.sync();
    await f.close();
  }

  stats(): Record<string, number> {
    return { written: this.written, rotations: this.rotations, bytes: this.size };
  }
}

function isFlow(r: unknown): r is FlowRecord {
  const o = r as Record<string, unknown>;
  return typeof o === 'object' && o !== null && typeof o.uid === 'string' && typeof o.rtype === 'string';
}
