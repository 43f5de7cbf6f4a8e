import { Capture, CaptureError, CaptureOptions, CaptureStats } from '@panoptes/capture';
import { PluginContext, PluginError, SourceService } from '@panoptes/plugin-sdk';
import { PcapSensorConfig } from './pcap.config';

/** Native options from the plugin config (the names are the same). */
export function captureOptions(c: PcapSensorConfig, sid: string): CaptureOptions {
  return {
    file: c.file,
    interface: c.interface,
    bpf: c.bpf,
    snaplen: c.snaplen,
    promisc: c.promisc,
    sid: c.sid ?? sid,
    statusIntervalSec: c.statusIntervalSec,
    tcpTimeoutSec: c.tcpTimeoutSec,
    udpTimeoutSec: c.udpTimeoutSec,
    icmpTimeoutSec: c.icmpTimeoutSec,
    otherTimeoutSec: c.otherTimeoutSec,
    maxFlows: c.maxFlows,
    batchSize: c.batchSize,
    dns: c.dns,
  };
}

/**
 * The sensor: the native module captures and meters on its own thread and
 * hands over whole batches; each batch is emitted and awaited before the next
 * is pulled, so a slow pipeline slows capture (bounded memory) rather than
 * queueing without end. A file that ends in error still delivers every flow
 * read before the error, then the error is logged and counted.
 */
export class PcapSensor implements SourceService {
  private capture?: Capture;
  private finished?: Promise<void>;
  private emitted = { records: 0, dns: 0 };
  private readError?: string;

  constructor(
    private readonly config: PcapSensorConfig,
    private readonly ctx: PluginContext,
  ) {}

  get done(): Promise<void> | undefined {
    return this.config.file === undefined ? undefined : this.finished;
  }

  async start(): Promise<void> {
    const what = this.config.file ?? `interface ${this.config.interface}`;
    try {
      this.capture = new Capture(captureOptions(this.config, this.ctx.id)).start();
    } catch (err) {
      throw new PluginError(`cannot start capture on ${what}`, err);
    }
    this.finished = this.pump();
  }

  private async pump(): Promise<void> {
    const cap = this.capture!;
    const dnsPort = this.ctx.outputs.dns !== undefined ? 'dns' : undefined;
    try {
      for await (const b of cap.batches()) {
        if (b.records.length) {
          await this.ctx.emit(b.records, 'flows');
          this.emitted.records += b.records.length;
          this.ctx.count('records', b.records.length);
        }
        if (b.dns.length && dnsPort) {
          await this.ctx.emit(b.dns, dnsPort);
          this.emitted.dns += b.dns.length;
          this.ctx.count('dns_records', b.dns.length);
        }
        this.publish(cap.stats());
      }
    } catch (err) {
      if (!(err instanceof CaptureError)) throw err;
      // Bad input ends the source but is not a crash: every flow before it was emitted.
      this.readError = err.message;
      this.ctx.count('read_errors');
      this.ctx.log.error('capture input ended in error', { error: err.message });
    } finally {
      this.publish(cap.stats());
    }
  }

  private publish(s: CaptureStats): void {
    this.ctx.gauge('packets', s.packets);
    this.ctx.gauge('kernel_drops', s.kernelDrops);
    this.ctx.gauge('decoded', s.decoded);
    this.ctx.gauge('filtered', s.filtered);
    this.ctx.gauge('flows_active', s.flowsActive);
    this.ctx.gauge('flows_evicted', s.flowsEvicted);
    for (const [reason, n] of Object.entries(s.undecodable)) this.ctx.gauge(`undecodable_${reason}`, n);
  }

  async stop(): Promise<void> {
    this.capture?.stop();
    await this.finished?.catch(() => undefined);
  }

  /** Figures the gauges do not already carry (packets, drops, decode and flow table figures are gauges). */
  stats(): Record<string, number | string> {
    const out: Record<string, number | string> = { recordsOut: this.emitted.records, dnsOut: this.emitted.dns };
    if (this.readError) out.readError = this.readError;
    return out;
  }
}
