export * from './bus';
export * from './embedded.bus';
export * from './bus.factory';
