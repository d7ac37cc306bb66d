/**
 * What the prompt and the answer said, in any convention we read. An app's other
 * instrumentation (the AI SDK's, OpenLLMetry, OpenInference, OpenLIT, ...) may
 * record it without anyone asking the collector to keep it: the collector drops
 * it at ingest unless its own `content` setting says to keep it (then capped), so
 * neither privacy nor the size of a stored call depends on what an app sends.
 */

/** What the collector keeps of message content (the `content` setting). */
export interface ContentPolicy {
  /** Keep prompts, answers, tool arguments and results; off by default. */
  keep: boolean;
  /** Longest content value kept, in characters, when `keep` is on. */
  max_chars: number;
}

export const DEFAULT_CONTENT: Readonly<ContentPolicy> = { keep: false, max_chars: 1000 };

/**
 * Attribute names that carry content, each matched with everything below it
 * (`gen_ai.prompt` covers `gen_ai.prompt.0.content`, `llm.input_messages` covers
 * `llm.input_messages.0.message.content`).
 */
const CONTENT_PREFIXES = [
  // OpenTelemetry GenAI conventions, current and older.
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.content',
  'gen_ai.embeddings',
  // OpenInference.
  'llm.input_messages',
  'llm.output_messages',
  'llm.prompts',
  'llm.prompt_template',
  'llm.tools',
  'llm.function_call',
  'input.value',
  'output.value',
  'embedding.embeddings',
  'retrieval.documents',
  'reranker.input_documents',
  'reranker.output_documents',
  'reranker.query',
  // Vercel AI SDK's ai.* spans.
  'ai.prompt',
  'ai.response.text',
  'ai.response.object',
  'ai.response.toolCalls',
  'ai.response.reasoning',
  'ai.response.files',
  'ai.toolCall.args',
  'ai.toolCall.result',
  'ai.value',
  'ai.values',
  'ai.embedding',
  'ai.embeddings',
  'ai.schema',
  'ai.documents',
  'ai.ranking',
  // OpenLLMetry, Langfuse.
  'traceloop.entity.input',
  'traceloop.entity.output',
  'langfuse.observation.input',
  'langfuse.observation.output',
  // Ours.
  'costlens.prompt',
  'costlens.completion',
];

const CONTENT = new RegExp(
  `^(${CONTENT_PREFIXES.map((p) => p.replaceAll('.', '\\.')).join('|')})($|[.\\[])`,
);

/** Whether an attribute holds message content (prompts, answers, tool calls, documents, vectors). */
export function isContentKey(key: string): boolean {
  return CONTENT.test(key);
}

/**
 * Where a prompt is found, in order, for the record's `prompt` field when content
 * is kept: ours first, then the conventions' input messages.
 */
export const PROMPT_KEYS = [
  'costlens.prompt',
  'gen_ai.input.messages',
  'ai.prompt.messages',
  'ai.prompt',
  'input.value',
] as const;
