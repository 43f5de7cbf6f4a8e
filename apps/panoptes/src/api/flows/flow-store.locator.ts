import { Inject, Injectable, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { acquireFlowStore, FlowStore, StoreLease, storeKey } from '@panoptes/store';
import { PluginHost } from '../../runtime/plugin-host';
import { PLUGIN_HOST } from '../api.tokens';

interface SinkStoreSettings {
  path?: string;
  threads?: number;
  memoryLimitMb?: number;
}

/**
 * Finds the flow store the API reads: the file of the first sink-store
 * instance in the config, opened through the process-wide registry, so the
 * API shares the very DuckDB instance the sink writes (one process is the
 * default deployment; a process without sink-store answers 503). Follows the
 * sink when it is reconfigured to another file.
 */
@Injectable()
export class FlowStoreLocator implements OnModuleDestroy {
  private current?: { key: string; lease: Promise<StoreLease> };

  constructor(@Inject(PLUGIN_HOST) private readonly host: PluginHost) {}

  private settings(): SinkStoreSettings | undefined {
    const inst = this.host.config.instances.find((i) => i.manifest.id === 'sink-store');
    return inst?.config as SinkStoreSettings | undefined;
  }

  async store(): Promise<FlowStore> {
    const s = this.settings();
    if (!s?.path) throw new ServiceUnavailableException('no flow store: the config has no sink-store plugin instance');
    const key = storeKey(s.path);
    if (this.current?.key !== key) {
      const old = this.current;
      const lease = acquireFlowStore(s.path, {
        threads: s.threads || undefined,
        memoryLimitMb: s.memoryLimitMb || undefined,
      });
      this.current = { key, lease };
      lease.catch(() => {
        if (this.current?.lease === lease) this.current = undefined;
      });
      old?.lease.then((l) => l.release()).catch(() => undefined);
    }
    try {
      return (await this.current.lease).store;
    } catch (err) {
      throw new ServiceUnavailableException(`flow store unavailable: ${(err as Error).message}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    await c?.lease.then((l) => l.release()).catch(() => undefined);
  }
}
