/** Jest global tear-down: stops the broker that global-setup.ts started, if any. */
import type { KafkaTestBroker } from '../../libs/testing/src/kafka-broker';
import { BROKER_HANDLE } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const slot = globalThis as Record<symbol, KafkaTestBroker | undefined>;
  const broker = slot[BROKER_HANDLE];
  if (!broker) return;
  slot[BROKER_HANDLE] = undefined;
  await broker.dispose();
}
