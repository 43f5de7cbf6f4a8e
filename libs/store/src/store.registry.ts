import { resolve } from 'node:path';
import { FlowStore, FlowStoreOptions } from './flow.store';

/**
 * One FlowStore per database file per process: DuckDB lets one process
 * open a file once, and the sink that writes and the API that reads must
 * share that one instance. Each acquire is matched by a release; the store
 * closes when the last holder releases it.
 */
interface Entry {
  readonly opening: Promise<FlowStore>;
  holders: number;
}

const stores = new Map<string, Entry>();

export interface StoreLease {
  readonly store: FlowStore;
  release(): Promise<void>;
}

/** The key a path is shared under (absolute; ':memory:' stays as is). */
export function storeKey(path: string): string {
  return path === ':memory:' ? path : resolve(path);
}

export async function acquireFlowStore(path: string, options: FlowStoreOptions = {}): Promise<StoreLease> {
  const key = storeKey(path);
  let entry = stores.get(key);
  if (!entry) {
    entry = { opening: FlowStore.open(key, options), holders: 0 };
    stores.set(key, entry);
    entry.opening.catch(() => stores.delete(key));
  }
  entry.holders++;
  let store: FlowStore;
  try {
    store = await entry.opening;
  } catch (err) {
    entry.holders--;
    throw err;
  }
  let released = false;
  const e = entry;
  return {
    store,
    release: async () => {
      if (released) return;
      released = true;
      if (--e.holders > 0) return;
      if (stores.get(key) === e) stores.delete(key);
      await store.close();
    },
  };
}

/** The store already open for a path in this process, if any. */
export function openFlowStore(path: string): Promise<FlowStore> | undefined {
  return stores.get(storeKey(path))?.opening;
}
