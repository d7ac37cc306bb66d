/** The npm packages costlens patches; the ESM loader hook intercepts only these. */
export const PROVIDER_PACKAGES = [
  'openai',
  '@anthropic-ai/sdk',
  '@google/genai',
  '@aws-sdk/client-bedrock-runtime',
];
