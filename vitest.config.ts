import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real processes; forks keep them isolated and killable.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // 2-core machines: keep real-process suites from starving each other.
    maxWorkers: 2,
  },
});
