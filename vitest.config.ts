import { defineConfig } from 'vitest/config';

/**
 * Tests that are about routing, concurrency and presence run twice: once on DynamoDB Local as it
 * is, and once with its global secondary indexes lagging 200–1,000 ms behind every write, as
 * DynamoDB's can (infra/local/index-lag.ts; the e2e stacks inherit the variable).
 */
const underIndexLag = [
  'test/integration/routing.test.ts',
  'test/integration/adaptive-capacity.test.ts',
  'test/integration/worklist-snapshot.test.ts',
  // Delivery statuses found through the sparse provider-id index.
  'test/integration/channels.test.ts',
  // Overviews read the queue index: the last one must be exact once it has caught up.
  'test/integration/supervisor.test.ts',
  'test/e2e/concurrency.test.ts',
  'test/e2e/adaptive-capacity.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/support/dynamodb-global-setup.ts'],
    // 60 s: on a loaded 2-core CI machine the concurrency and browser tests have run past 30 s.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: files run two at a time; each file gets its own tables or its own local stack.
    maxWorkers: 2,
    // Domain code logs through Powertools; tests assert behaviour, not log lines.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    projects: [
      { extends: true, test: { name: 'tide', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'index-lag', include: underIndexLag, env: { POWERTOOLS_LOG_LEVEL: 'SILENT', TIDE_INDEX_LAG_MS: '200-1000' } } },
    ],
  },
});
