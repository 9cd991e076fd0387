import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './scripts/vitest-summary.ts'],
  },
});
