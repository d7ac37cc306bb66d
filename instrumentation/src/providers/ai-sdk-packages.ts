/** The Vercel AI SDK's provider packages (and its gateway) whose model classes costlens patches. */
export const AI_SDK_PACKAGES = [
  '@ai-sdk/openai',
  '@ai-sdk/anthropic',
  '@ai-sdk/google',
  '@ai-sdk/google-vertex',
  '@ai-sdk/amazon-bedrock',
  '@ai-sdk/azure',
  '@ai-sdk/gateway',
  '@ai-sdk/mistral',
  '@ai-sdk/xai',
  '@ai-sdk/groq',
  '@ai-sdk/deepseek',
  '@ai-sdk/openai-compatible',
];
