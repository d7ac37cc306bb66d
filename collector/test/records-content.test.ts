import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalogue } from '@costlens/pricing';
import { describe, expect, it } from 'vitest';
import { isContentKey } from '../src/records/content.js';
import { recordFromSpan } from '../src/records/from-span.js';
import { DEFAULT_CONFIG, loadConfig } from '../src/service/config.js';

const catalogue = loadCatalogue();

describe('isContentKey: message content in any convention', () => {
  it.each([
    'gen_ai.input.messages',
    'gen_ai.output.messages',
    'gen_ai.system_instructions',
    'gen_ai.tool.definitions',
    'gen_ai.tool.call.arguments',
    'gen_ai.tool.call.result',
    'gen_ai.prompt',
    'gen_ai.prompt.0.content',
    'gen_ai.completion.0.role',
    'gen_ai.content.prompt',
    'llm.input_messages.0.message.content',
    'llm.output_messages.1.message.tool_calls.0.tool_call.function.arguments',
    'llm.prompts',
    'input.value',
    'output.value',
    'ai.prompt',
    'ai.prompt.messages',
    'ai.prompt.tools',
    'ai.response.text',
    'ai.response.object',
    'ai.response.toolCalls',
    'ai.toolCall.args',
    'ai.toolCall.result',
    'ai.value',
    'ai.values',
    'ai.embedding',
    'ai.embeddings',
    'traceloop.entity.input',
    'costlens.prompt',
    'costlens.completion',
  ])('%s is content', (k) => {
    expect(isContentKey(k)).toBe(true);
  });

  it.each([
    'gen_ai.usage.prompt_tokens',
    'gen_ai.usage.completion_tokens',
    'gen_ai.request.model',
    'gen_ai.response.id',
    'gen_ai.response.finish_reasons',
    'gen_ai.tool.name',
    'gen_ai.prompt_caching',
    'llm.token_count.prompt',
    'input.mime_type',
    'ai.usage.promptTokens',
    'ai.response.id',
    'ai.response.providerMetadata',
    'ai.promptFormat',
    'server.address',
  ])('%s is not', (k) => {
    expect(isContentKey(k)).toBe(false);
  });
});

const span = (attributes: Record<string, unknown>) => ({
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  name: 'chat gpt-4o-mini',
  startTimeUnixNano: 1_764_000_000_000_000_000n,
  endTimeUnixNano: 1_764_000_001_000_000_000n,
  attributes,
  status: { code: 0, message: '' },
});
const attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.usage.input_tokens': 10,
  'gen_ai.usage.output_tokens': 2,
  'costlens.prompt': 'my card is 4111 1111 1111 1111',
  'costlens.completion': 'noted',
  'llm.input_messages.0.message.content': 'hello there',
  'gen_ai.response.id': 'chatcmpl-1',
};
const map = (content?: { keep: boolean; max_chars: number }) =>
  recordFromSpan(
    span(attributes),
    { resource: {}, scopeName: 'x' },
    {
      catalogue,
      ...(content ? { content } : {}),
    },
  );

describe('content in a record', () => {
  it('is dropped by default, even our own costlens.prompt', () => {
    const r = map();
    expect(r.prompt).toBeNull();
    expect(JSON.parse(r.attributes!)).toEqual({ 'gen_ai.response.id': 'chatcmpl-1' });
  });

  it('is kept when asked, each value cut to max_chars, the prompt once', () => {
    const r = map({ keep: true, max_chars: 10 });
    expect(r.prompt).toBe('my card i…');
    expect(JSON.parse(r.attributes!)).toEqual({
      'costlens.completion': 'noted',
      'llm.input_messages.0.message.content': 'hello the…',
      'gen_ai.response.id': 'chatcmpl-1',
    });
  });
});

describe('the content setting', () => {
  const file = (text: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'costlens-content-')), 'costlens.yaml');
    writeFileSync(f, text);
    return f;
  };
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };

  it('is off by default, and read from the config file', () => {
    expect(DEFAULT_CONFIG.content).toEqual({ keep: false, max_chars: 1000 });
    const c = loadConfig({ file: file('content: { keep: true, max_chars: 200 }\n') });
    expect(c.content).toEqual({ keep: true, max_chars: 200 });
    expect(loadConfig({ file: file('content: { keep: true }\n') }).content.max_chars).toBe(1000);
  });

  it('refuses what it cannot mean, naming the setting', () => {
    const f = file('content: { keep: "yes" }\n');
    expect(message(() => loadConfig({ file: f }))).toBe(
      `${f}: content.keep must be true or false, got "yes"`,
    );
    const g = file('content: { keep: true, max_chars: 0 }\n');
    expect(message(() => loadConfig({ file: g }))).toBe(
      `${g}: content.max_chars must be a whole number from 1 to 1000000, got 0`,
    );
    const h = file('content: { store: true }\n');
    expect(message(() => loadConfig({ file: h }))).toBe(
      `${h}: content: unknown key "store" (known: keep, max_chars)`,
    );
  });
});
