import type { ProviderModule } from '../internal-types.js';

// Placeholder while the patch is written.
export const googleGenAIModule: ProviderModule = {
  name: '@google/genai',
  versions: ['*'],
  patch() {},
};
