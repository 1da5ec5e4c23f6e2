// Unit tests live beside the code (*.spec.ts); integration tests that need the real
// PostgreSQL and Redis end in *.int-spec.ts; black-box tests against running
// processes live in e2e/ (*.e2e-spec.ts). scripts/test.js prepares the services.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const common = {
  transform: { '^.+\\.(t|j)s$': swc },
  moduleNameMapper: {
    '^@berth/core$': '<rootDir>/libs/core/src',
    // The dashboard imports single modules of @berth/core, as Vite bundles them.
    '^@berth/core/(.*)$': '<rootDir>/libs/core/src/$1',
    '^@berth/config$': '<rootDir>/libs/config/src',
    '^@berth/store$': '<rootDir>/libs/store/src',
    '^@berth/registry$': '<rootDir>/libs/registry/src',
    '^@berth/runtime$': '<rootDir>/libs/runtime/src',
    '^@berth/store/testing$': '<rootDir>/libs/store/src/testing',
  },
  testEnvironment: 'node',
};
module.exports = {
  // Integration and e2e tests start real servers and processes.
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,apps}/*/src/**/*.spec.ts', '<rootDir>/scripts/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,apps}/*/src/**/*.int-spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'],
    },
  ],
};
