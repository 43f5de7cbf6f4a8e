/** @type {import('jest').Config} */
// Unit specs sit next to their sources (*.spec.ts); end-to-end tests that
// drive the built host live in test/e2e (*.e2e.ts). `npm test` builds first.
//
// Tests that need the real Kafka broker have "kafka" in their path; they form
// their own project, whose global set-up starts one broker for the run. Jest
// runs a project's global set-up only when one of its tests is selected, so
// the other tests never wait for a broker. ("kafka" is matched below the
// repository root only: a clone in a directory named kafka still runs them.)
const moduleNameMapper = {
  '^@panoptes/(flow|plugin-sdk|bus|store|testing)$': '<rootDir>/libs/$1/src',
  '^@panoptes/plugin-(.*)$': '<rootDir>/plugins/$1/src',
  '^@panoptes/host$': '<rootDir>/apps/panoptes/src/main',
  '^@panoptes/capture$': '<rootDir>/native/capture/index.js',
};
const common = {
  testEnvironment: 'node',
  moduleNameMapper,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/native/capture/target/'],
};
const ignore = ['/node_modules/', '/dist/', '/target/'];
const tests = ['<rootDir>/{libs,plugins,apps,native}/**/*.spec.ts', '<rootDir>/test/**/*.e2e.ts'];
module.exports = {
  testTimeout: 120000,
  verbose: false,
  projects: [
    { ...common, displayName: 'core', testMatch: tests, testPathIgnorePatterns: [...ignore, '<rootDir>/.*kafka'] },
    {
      ...common,
      displayName: 'kafka',
      testMatch: [
        '<rootDir>/{libs,plugins,apps,native}/**/*kafka*.spec.ts',
        '<rootDir>/plugins/*kafka*/**/*.spec.ts',
        '<rootDir>/test/**/*kafka*.e2e.ts',
      ],
      testPathIgnorePatterns: ignore,
      // One real Kafka broker (test/kafka/broker.sh) for the whole run; exports PANOPTES_TEST_KAFKA.
      globalSetup: '<rootDir>/test/kafka/global-setup.ts',
      globalTeardown: '<rootDir>/test/kafka/global-teardown.ts',
    },
  ],
};
