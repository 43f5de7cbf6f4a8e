import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker, testKafkaBrokers } from './kafka-broker';

describe('kafka test broker', () => {
  jest.setTimeout(60_000);

  it('serves clients at the address the global set-up exported', async () => {
    const kafka = new Kafka({ clientId: 'broker-spec', brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topic = `broker-spec-${process.pid}-${Date.now()}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0].partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });

  it('keeps its data and its port across stop and start', async () => {
    const broker = await startKafkaBroker();
    try {
      expect(broker.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
      const kafka = new Kafka({ clientId: 'broker-spec', brokers: broker.brokers, logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({
        topic: 'kept',
        messages: [
          { key: 'a', value: 'one' },
          { key: 'a', value: 'two' },
        ],
      });
      await producer.disconnect();

      await broker.stop();
      await broker.start();

      const admin = kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets('kept');
      await admin.disconnect();
      expect(offsets).toEqual([{ partition: 0, offset: '2', high: '2', low: '0' }]);
    } finally {
      await broker.dispose();
    }
  });
});
