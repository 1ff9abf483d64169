import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/results.json' }]]
      : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'apps/*/src/**/*.test.ts',
            'packages/*/src/**/*.test.ts',
            'test/unit/**/*.test.ts',
          ],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/leak-check.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          pool: 'forks',
          // Fault tests spawn several real processes each; two at once is what 2 cores take.
          maxWorkers: 2,
        },
      },
    ],
  },
});
