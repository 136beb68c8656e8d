import { defineConfig } from 'vitest/config';

export const testDefaults = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  // Two files at a time on two cores (vitest's default leaves one core idle): most of the long
  // tests wait on timers, child processes and loopback sockets, not on the CPU.
  maxWorkers: 2,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  reporters: ['default', './test/support/summary-reporter.ts'],
};

export default defineConfig({
  test: {
    ...testDefaults,
    include: ['test/**/*.test.ts'],
    // Needs the official DynamoDB Local: `npm run test:dynamodb-local`.
    exclude: ['**/node_modules/**', 'test/dynamodb-local/**'],
  },
});
