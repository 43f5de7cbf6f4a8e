export * from './run-plugin';
export * from './kafka-broker';
export * from './cli';
