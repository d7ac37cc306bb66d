import type { ModelEntry } from '../types.js';

/** A source file that does not have its source's shape; the message says what is wrong. */
export class SourceFormatError extends Error {
  override name = 'SourceFormatError';
}

export interface ConvertResult {
  models: ModelEntry[];
  skipped: { key: string; reason: string }[];
}

const LITELLM: Record<string, string> = {
  'text-completion-openai': 'openai',
  gemini: 'gcp.gemini',
  bedrock: 'aws.bedrock',
  bedrock_converse: 'aws.bedrock',
  azure: 'azure.ai.openai',
  azure_ai: 'azure.ai.inference',
  cohere_chat: 'cohere',
  mistral: 'mistral_ai',
  xai: 'x_ai',
  watsonx: 'ibm.watsonx.ai',
};

/** LiteLLM's `litellm_provider` -> OpenTelemetry `gen_ai.provider.name` (or LiteLLM's own name). */
export function providerFromLitellm(litellmProvider: string): string {
  const p = litellmProvider.trim().toLowerCase();
  if (p === 'vertex_ai' || p.startsWith('vertex_ai-')) return 'gcp.vertex_ai';
  return LITELLM[p] ?? p;
}

const GENAI: Record<string, string> = {
  // Where both sources name the same provider differently, LiteLLM's name is kept.
  together: 'together_ai',
  fireworks: 'fireworks_ai',
  moonshotai: 'moonshot',
  voyageai: 'voyage',
  google: 'gcp.gemini',
  aws: 'aws.bedrock',
  azure: 'azure.ai.openai',
  mistral: 'mistral_ai',
  'x-ai': 'x_ai',
};

/** genai-prices provider id -> OpenTelemetry `gen_ai.provider.name` (or genai-prices' own id). */
export function providerFromGenaiPrices(id: string): string {
  const p = id.trim().toLowerCase();
  return GENAI[p] ?? p;
}

/** Per-token USD -> per-1M USD, cleaned of binary noise (2.5e-06 -> 2.5). */
export function perMillion(perToken: number): number {
  return Number((perToken * 1e6).toPrecision(12));
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export const isPrice = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0;
