export * from './flow.store';
export * from './store.registry';
export * from './store.schema';
export * from './store.query';
export { formatAddrKey, maskedAddrSql } from './addr.sql';
