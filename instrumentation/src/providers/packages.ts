import { AI_SDK_PACKAGES } from './ai-sdk-packages.js';

/** The npm packages costlens patches; the ESM loader hook intercepts only these. */
export const PROVIDER_PACKAGES = [
  'openai',
  '@anthropic-ai/sdk',
  '@google/genai',
  '@aws-sdk/client-bedrock-runtime',
  ...AI_SDK_PACKAGES,
];
