/**
 * The vitest config of `npm run mutate`: only the unit tests of the scope being mutated, which scripts/mutate.ts
 * passes in MUTATE_TESTS. (Stryker's own `testFiles` option activates static mutants too late, after the module
 * under test has loaded, so they all "survive": stryker-js issue 6144.)
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '..'),
    include: (process.env.MUTATE_TESTS ?? '').split(',').filter(Boolean),
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
