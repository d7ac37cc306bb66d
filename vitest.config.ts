import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the "source" export
  // condition), so tests never run against a stale dist/.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    // Vitest hands the "source" condition to Node for the packages it leaves to
    // Node, and eventsource-parser (under the AI SDK) publishes TypeScript under it,
    // which Node will not run from node_modules: the AI SDK's packages go through Vite.
    server: {
      deps: { inline: ['eventsource-parser', /[\\/]@ai-sdk[\\/]/, /[\\/]ai6?(-openai)?[\\/]/] },
    },
  },
});
