import { defineConfig } from 'vitest/config';

// Every test file gets its own database (PGlite in a temp dir, or a fresh schema on the
// Postgres named by DATABASE_URL), so files can run in parallel without sharing state.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
