import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Tests never touch the user's cache of decoded images.
    // ... nor the user's experiment database (TAPAS): test jobs record into a fresh one.
    env: { NETSPROUT_CACHE_DIR: path.join(os.tmpdir(), `netsprout-test-cache-${process.pid}`), NETSPROUT_EXPERIMENTS_DIR: path.join(os.tmpdir(), `netsprout-test-experiments-${process.pid}`) },
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
