export * from './flow.store';
export * from './store.registry';
export * from './store.schema';
export * from './store.query';
export { formatAddrKey, maskedAddrSql } from './addr.sql';
export { generateSyntheticFlows } from './store.bench';
export { listPage } from './store.list';
export * from './store.totals';
