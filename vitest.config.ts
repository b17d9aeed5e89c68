import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'simulators/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Unit suites run two at a time (a 2-core machine); the integration suites under test/ run one file
    // at a time (npm run test:integration), since they time real brokers, sockets and pseudo-terminals.
    maxWorkers: 2,
  },
});
