import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The packed package in a fresh project (`npm run test:package`): slow (npm pack, a registry install), so CI
 * runs it as its own step in .ci/run rather than inside `npm test`.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/package/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
