import { defineConfig } from 'vitest/config';

// Three suites: `unit` (pure code and fakes, fast, parallel), `integration`
// (real pcscd + vpcd, real ptys, real processes; run one file at a time because
// they share the machine's single pcscd and its vpcd ports) and `e2e` (real
// Chromium driving the renderer against the web shell, also one file at a time).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // real Chromium against the web shell (one pcscd and one browser per
        // file); screenshots land in test-artifacts/screens. Like integration,
        // one worker: vitest then runs the files of both projects one at a
        // time, so no two of them hold the machine's pcscd at once.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
