import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One Temporal dev server for the whole run, shared by every integration test file.
    globalSetup: ['test/global-setup.ts'],
    // Native addons (Temporal's core bridge) want process isolation, not threads.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
