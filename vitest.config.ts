import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    // One test file at a time: the CPU backend's worker threads and lavapipe's threads need the
    // machine's cores; two files at once on a 2-core CI machine oversubscribe it and a spin-then-sleep
    // thread handoff can then take a whole scheduler time slice per op.
    fileParallelism: false,
    reporters: ['default', './scripts/vitest-summary.ts'],
  },
});
