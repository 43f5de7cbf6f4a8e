export * from './errors';
export * from './config.validation';
export * from './plugin.contract';
export * from './common.config';
export * from './json.lines';
