import { defineConfig } from 'vitest/config';

// Token, PKI and process tests do real work (SoftHSM, openssl, child processes):
// generous timeouts, and forks so a native crash in one file cannot take the others down.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
