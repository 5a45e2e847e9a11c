import { defineConfig } from 'vitest/config'

// chDB runs one engine per process: every test file gets its own fork.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    isolate: true,
  },
})
