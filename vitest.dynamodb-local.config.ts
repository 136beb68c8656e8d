import { defineConfig } from 'vitest/config';
import { testDefaults } from './vitest.config.ts';

/** The storage tests, and what only DynamoDB Local can check, against the official DynamoDB Local. */
export default defineConfig({
  test: {
    ...testDefaults,
    include: ['test/integration/stores/**/*.test.ts', 'test/dynamodb-local/**/*.test.ts'],
  },
});
