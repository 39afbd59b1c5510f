import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/hil/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    // Removes each file's temp dirs after its hooks ran; global-setup fails the run on any left.
    setupFiles: ['test/helpers/temp-dir-cleanup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep parallelism modest so network/broker tests do not starve each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
