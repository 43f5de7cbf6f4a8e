export * from './flow.catalogue';
export * from './flow.schema';
export * from './json.codec';
export * from './csv.codec';
export * from './dns.record';
export * from './filter/filter';
