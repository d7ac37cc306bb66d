import type { ProviderModule } from '../internal-types.js';

// Placeholder while the patch is written.
export const anthropicModule: ProviderModule = {
  name: '@anthropic-ai/sdk',
  versions: ['*'],
  patch() {},
};
