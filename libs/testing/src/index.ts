export * from './run-plugin';
export * from './kafka-broker';
export * from './cli';
export * from './gen-pcap';
export * from './truth.records';
export * from './browser';
