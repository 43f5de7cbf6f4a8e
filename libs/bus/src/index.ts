export * from './bus';
export * from './embedded.bus';
export * from './bus.factory';
export * from './bus.logger';
export * from './kafka.bus';
export * from './kafka.config';
export * from './kafka.codec';
export * from './kafkajs.native';
