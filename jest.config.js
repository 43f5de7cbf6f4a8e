/** @type {import('jest').Config} */
// Unit specs sit next to their sources (*.spec.ts); end-to-end tests that
// drive the built host live in test/e2e (*.e2e.ts). `npm test` builds first.
const moduleNameMapper = {
  '^@panoptes/(flow|plugin-sdk|bus|store|testing)$': '<rootDir>/libs/$1/src',
  '^@panoptes/plugin-(.*)$': '<rootDir>/plugins/$1/src',
  '^@panoptes/host$': '<rootDir>/apps/panoptes/src/main',
  '^@panoptes/capture$': '<rootDir>/native/capture/index.js',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};
module.exports = {
  testEnvironment: 'node',
  moduleNameMapper,
  transform,
  testMatch: ['<rootDir>/{libs,plugins,apps,native}/**/*.spec.ts', '<rootDir>/test/**/*.e2e.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/target/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/native/capture/target/'],
  testTimeout: 120000,
  // One real Kafka broker (test/kafka/broker.sh) for the whole run; exports PANOPTES_TEST_KAFKA.
  globalSetup: '<rootDir>/test/kafka/global-setup.ts',
  globalTeardown: '<rootDir>/test/kafka/global-teardown.ts',
  verbose: false,
};
