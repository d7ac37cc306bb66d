import type { ProviderModule } from '../internal-types.js';

// Placeholder while the patch is written.
export const openaiModule: ProviderModule = {
  name: 'openai',
  versions: ['*'],
  patch() {},
};
