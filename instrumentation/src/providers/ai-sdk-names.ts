import { normalizeProvider } from '@costlens/pricing';
import type { Operation } from '../semconv.js';

/**
 * Which provider and model an AI SDK model object stands for, in the
 * conventions' names. A model says who serves it in its `provider` string
 * (`openai.responses`, `anthropic.messages`, `google.generative-ai`,
 * `google.vertex.chat`, `amazon-bedrock`, `azure.chat`, or the `name` an app
 * gave `createOpenAI({ name: 'groq' })`), and the AI Gateway says it in the
 * model id (`gateway` with `anthropic/claude-sonnet-4.6`).
 */
export interface AiSdkTarget {
  /** `gen_ai.provider.name`, the provider whose prices apply. */
  provider: string;
  /** The model as that provider names it (the gateway's `provider/` removed). */
  model: string | undefined;
  /** The operation of a language model call: `chat`, or as that provider's own SDK names it. */
  languageOperation: Operation;
}

/** First segments of a `provider` string (or a gateway prefix) whose convention name differs. */
const SEGMENTS: Record<string, string> = {
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  amazon: 'aws.bedrock',
  vertex: 'gcp.vertex_ai',
  'google-vertex': 'gcp.vertex_ai',
  azure: 'azure.ai.openai',
  'x-ai': 'x_ai',
};

function providerOfSegments(segments: string[]): string {
  const [first = '', second] = segments;
  // `google.vertex.chat`, `google.vertex.anthropic.messages`: served by Vertex AI.
  if (first === 'google' && second === 'vertex') return 'gcp.vertex_ai';
  return SEGMENTS[first] ?? normalizeProvider(first);
}

export function aiSdkTarget(providerString: unknown, modelId: unknown): AiSdkTarget {
  const p = typeof providerString === 'string' ? providerString.toLowerCase() : '';
  let model = typeof modelId === 'string' && modelId !== '' ? modelId : undefined;
  let provider: string;
  if (p === 'gateway' || p.startsWith('gateway.')) {
    // The gateway bills the provider's list price; the model id names both.
    const slash = model?.indexOf('/') ?? -1;
    if (model && slash > 0) {
      provider = providerOfSegments([model.slice(0, slash).toLowerCase()]);
      model = model.slice(slash + 1);
    } else {
      provider = 'gateway';
    }
  } else {
    provider = p === '' ? 'unknown' : providerOfSegments(p.split('.'));
  }
  return { provider, model, languageOperation: languageOperationOf(p, provider) };
}

function languageOperationOf(providerString: string, provider: string): Operation {
  if (providerString.endsWith('.completion')) return 'text_completion';
  // Gemini's own SDK, and the instrumentation of @google/genai, call it generate_content.
  if (provider === 'gcp.gemini' || provider === 'gcp.vertex_ai') {
    return providerString.includes('anthropic') ? 'chat' : 'generate_content';
  }
  return 'chat';
}
