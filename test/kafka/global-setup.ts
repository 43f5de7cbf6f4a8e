/**
 * Jest global set-up: starts ONE real Kafka broker (test/kafka/broker.sh) for the
 * whole run and exports its bootstrap address as PANOPTES_TEST_KAFKA, which the
 * test workers inherit. An address already in the environment is used as is
 * (a developer's own broker); the set-up then starts nothing.
 */
import { KafkaTestBroker, startKafkaBroker, TEST_KAFKA_ENV } from '../../libs/testing/src/kafka-broker';

/** Shared with global-teardown.ts: Jest runs both in the same process. */
export const BROKER_HANDLE = Symbol.for('panoptes.test.kafkaBroker');

export default async function globalSetup(): Promise<void> {
  if (process.env[TEST_KAFKA_ENV]) return;
  const broker = await startKafkaBroker();
  process.env[TEST_KAFKA_ENV] = broker.bootstrap;
  (globalThis as Record<symbol, KafkaTestBroker | undefined>)[BROKER_HANDLE] = broker;
}
