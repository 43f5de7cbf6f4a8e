import { BadRequestException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { compileFilter, FilterError, FlowRecord } from '@panoptes/flow';
import { LiveFlowsDto } from './flows.dto';
import { FlowStoreLocator } from './flow-store.locator';

/** Most live clients at once; more answer 503. */
const MAX_CLIENTS = 64;
/** A client whose unsent output passes this loses records (counted in a `dropped` event) instead of holding the pipeline back. */
const MAX_BUFFERED_BYTES = 1 << 20;
const PING_MS = 15_000;

/**
 * Server-Sent Events of the records the store commits, after the filter.
 * A web client never slows the pipeline: a client that does not keep up
 * loses records and is told how many.
 */
@Injectable()
export class FlowsLive {
  private clients = 0;

  constructor(private readonly locator: FlowStoreLocator) {}

  async stream(dto: LiveFlowsDto, res: Response): Promise<void> {
    let test: ((r: FlowRecord) => boolean) | undefined;
    try {
      test = dto.filter?.trim() ? compileFilter(dto.filter) : undefined;
    } catch (err) {
      if (err instanceof FilterError) throw err;
      throw new BadRequestException(`filter: ${(err as Error).message.replace(/^filter: /, '')}`);
    }
    const store = await this.locator.store();
    if (this.clients >= MAX_CLIENTS)
      throw new ServiceUnavailableException(`too many live clients (${MAX_CLIENTS}); try again later`);
    this.clients++;
    const fields = dto.fields?.length ? dto.fields : undefined;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 2000\n: live flow records\n\n');
    let dropped = 0;
    const onRecords = (records: FlowRecord[]): void => {
      let out = '';
      let n = 0;
      for (const r of records) {
        if (test && !test(r)) continue;
        out += `event: flow\ndata: ${JSON.stringify(fields ? pick(r, fields) : r)}\n\n`;
        n++;
      }
      if (n === 0) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        dropped += n;
        return;
      }
      if (dropped > 0) {
        out = `event: dropped\ndata: {"records":${dropped}}\n\n` + out;
        dropped = 0;
      }
      res.write(out);
    };
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    store.on('records', onRecords);
    const done = (): void => {
      clearInterval(ping);
      store.off('records', onRecords);
      this.clients--;
    };
    // The response closes when the client goes away (the request's own 'close' comes once it is read).
    res.once('close', done);
  }
}

function pick(r: FlowRecord, fields: readonly string[]): Record<string, unknown> {
  const o = r as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (o[f] !== undefined && o[f] !== null) out[f] = o[f];
  return out;
}
