import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The packed-tarball test installs from the registry: its own step in .ci/run (npm run test:package).
    exclude: ['test/package/**', '**/node_modules/**'],
    // Integration tests start real processes; forks keep them isolated and killable.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // 2-core machines: keep real-process suites from starving each other.
    maxWorkers: 2,
    // Some unit tests construct SDK clients directly (to mock them), outside the CLI's warning filter
    // (src/aws/clients.ts); on Node 20 the SDK's NodeVersionSupportWarning then reached `npm test`'s terminal,
    // once per worker process. The SDK's own switch turns it off for test workers; the CLI's filter is
    // tested on its own in a clean environment (test/unit/aws/sdk-process.test.ts).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
