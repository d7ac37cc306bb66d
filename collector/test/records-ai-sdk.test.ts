import { readFileSync } from 'node:fs';
import { loadCatalogue } from '@costlens/pricing';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson } from '../src/otlp/index.js';
import type { CallRecord } from '../src/records/call-record.js';
import { isContentKey } from '../src/records/content.js';
import { recordsOfRequest } from '../src/records/request.js';

// Export requests the official OTLP/JSON exporter sent for an app on the AI SDK
// (test/fixtures/ai-sdk-app.mjs: generateText, a streamText that runs a tool and
// answers, generateObject, generateText over chat completions, embed, embedMany;
// seven model calls) with its own OpenTelemetry integration and no costlens
// instrumentation; only the resource was cut down to the service and the SDK.
const fixture = (name: string) =>
  decodeTraceRequestJson(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const catalogue = loadCatalogue();
const records = (name: string, content?: { keep: boolean; max_chars: number }) =>
  recordsOfRequest(fixture(name), { catalogue, ...(content ? { content } : {}) });

// gpt-4o-mini: $0.15 / 1M input (150,000 pUSD a token), $0.075 cached (75,000),
// $0.60 output (600,000); text-embedding-3-small: $0.02 / 1M (20,000).
const MINI = 'gpt-4o-mini-2024-07-18';
const chat = (input: number, cached: number, output: number) => ({
  operation: 'chat',
  call_type: 'text',
  provider: 'openai',
  request_model: 'gpt-4o-mini',
  response_model: MINI,
  input_tokens: input,
  cache_read_tokens: cached || null,
  output_tokens: output,
  cost_pusd: (input - cached) * 150_000 + cached * 75_000 + output * 600_000,
});
const embedding = (input: number) => ({
  operation: 'embeddings',
  call_type: 'embedding',
  provider: 'openai',
  request_model: 'text-embedding-3-small',
  response_model: null,
  input_tokens: input,
  cache_read_tokens: null,
  output_tokens: null,
  cost_pusd: input * 20_000,
});
const SEVEN_CALLS = [
  chat(1000, 200, 100), // generateText, Responses API
  chat(300, 0, 20), // streamText, step 1: the tool call
  chat(400, 0, 50), // streamText, step 2: the answer
  chat(500, 0, 60), // generateObject
  chat(700, 100, 70), // generateText, chat completions
  embedding(8), // embed
  embedding(24), // embedMany, three values in one request
];
const FIELDS = Object.keys(SEVEN_CALLS[0]!) as (keyof CallRecord)[];
const shown = (rs: CallRecord[]) =>
  [...rs]
    .sort((a, b) => a.started_at - b.started_at)
    .map((r) => Object.fromEntries(FIELDS.map((f) => [f, r[f]])));
const contentKeys = (r: CallRecord) =>
  Object.keys(JSON.parse(r.attributes ?? '{}')).filter(isContentKey);

describe('the AI SDK 7 with @ai-sdk/otel (registerTelemetry(new OpenTelemetry()))', () => {
  it('seven model calls are seven records, with their own usage and cost', () => {
    const out = records('ai-sdk-7-otel');
    expect(shown(out.records)).toEqual(SEVEN_CALLS);
    // 4 invoke_agent, 4 agent_step and 1 execute_tool spans are no calls; the two
    // outer `embeddings` spans enclose the provider calls'.
    expect(out).toMatchObject({ notGenai: 9, enclosing: 2, rejected: 0 });
  });

  it('stores no prompt, answer, tool definition or tool result', () => {
    const raw = fixture('ai-sdk-7-otel').resourceSpans[0]!.scopes[0]!.spans;
    const sent = new Set(raw.flatMap((s) => Object.keys(s.attributes)).filter(isContentKey));
    // The integration does send them: they are dropped, not absent.
    expect([...sent].sort()).toEqual([
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.tool.call.arguments',
      'gen_ai.tool.call.result',
      'gen_ai.tool.definitions',
    ]);
    for (const r of records('ai-sdk-7-otel').records) {
      expect(r.prompt).toBeNull();
      expect(contentKeys(r)).toEqual([]);
      expect(r.attributes ?? '').not.toContain('4111');
    }
  });

  it('keeps content, capped, when the collector is configured to', () => {
    const out = records('ai-sdk-7-otel', { keep: true, max_chars: 40 });
    const first = out.records.find((r) => r.input_tokens === 1000)!;
    expect(first.prompt).toHaveLength(40);
    expect(first.prompt).toMatch(/^\[\{"role":"user","parts":\[.*…$/);
    const attrs = JSON.parse(first.attributes!) as Record<string, string>;
    expect(attrs['gen_ai.output.messages']).toHaveLength(40);
    expect(attrs['gen_ai.output.messages']).toContain('assistant');
    // The prompt is not stored twice.
    expect(attrs['gen_ai.input.messages']).toBeUndefined();
  });

  it('ours inside the AI SDK chat spans: our span is the record, priced as the app priced it', () => {
    const request = fixture('ai-sdk-7-otel');
    const spans = request.resourceSpans[0]!.scopes[0]!.spans;
    const ours = spans
      .filter((s) => s.attributes['gen_ai.operation.name'] === 'chat')
      .map((s, i) => ({
        ...s,
        spanId: `c0571e45000000${i}0`,
        parentSpanId: s.spanId,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': s.attributes['gen_ai.usage.input_tokens']!,
          'gen_ai.usage.output_tokens': s.attributes['gen_ai.usage.output_tokens']!,
          'costlens.cost.usd': 0.25,
        },
      }));
    request.resourceSpans[0]!.scopes.push({
      name: '@costlens/instrumentation',
      version: '0.1.0',
      spans: ours,
    });
    const out = recordsOfRequest(request, { catalogue });
    const text = out.records.filter((r) => r.call_type === 'text');
    expect(text.map((r) => r.span_id).sort()).toEqual(ours.map((s) => s.spanId).sort());
    expect(text.map((r) => [r.cost_pusd, r.pricing_source])).toEqual(
      ours.map(() => [250_000_000_000, 'instrumentation']),
    );
    expect(out.records).toHaveLength(7);
    expect(out.enclosing).toBe(2 + ours.length);
  });
});

describe.each([
  ['the AI SDK 7 with LegacyOpenTelemetry (ai.* spans)', 'ai-sdk-7-legacy'],
  ['the AI SDK 6 with experimental_telemetry', 'ai-sdk-6'],
])('%s', (_, name) => {
  it('seven model calls are seven records: the provider-call spans, read as OpenAI', () => {
    const out = records(name);
    expect(shown(out.records)).toEqual(SEVEN_CALLS);
    // generateText twice, streamText, generateObject, embed, embedMany and the tool call.
    expect(out).toMatchObject({ notGenai: 7, enclosing: 0, rejected: 0 });
  });

  it('stores no prompt, answer, tool call, embedded value or vector', () => {
    for (const r of records(name).records) {
      expect(r.prompt).toBeNull();
      expect(contentKeys(r)).toEqual([]);
      expect(r.attributes ?? '').not.toContain('4111');
      // What the record's columns hold is not kept twice.
      expect(r.attributes ?? '').not.toMatch(/ai\.usage\.|ai\.model\./);
    }
  });

  it('a streamed step has its time to first chunk', () => {
    const streamed = records(name).records.filter((r) => r.ttft_ms !== null);
    expect(streamed).toHaveLength(2);
    for (const r of streamed) expect(r.ttft_ms).toBeGreaterThan(0);
  });
});

describe('the provider of an AI SDK span', () => {
  const providerOfSpan = (attributes: Record<string, unknown>) =>
    recordsOfRequest(
      {
        resourceSpans: [
          {
            resource: {},
            scopes: [
              {
                name: 'ai',
                spans: [
                  {
                    traceId: '5b8efff798038103d269b633813fc60c',
                    spanId: 'eee19b7ec3c1b174',
                    name: 'ai.generateText.doGenerate',
                    startTimeUnixNano: 1_764_000_000_000_000_000n,
                    endTimeUnixNano: 1_764_000_001_000_000_000n,
                    attributes: {
                      'ai.operationId': 'ai.generateText.doGenerate',
                      'ai.model.id': 'some-model',
                      ...attributes,
                    },
                    status: { code: 0, message: '' },
                  },
                ],
              },
            ],
          },
        ],
      },
      { catalogue },
    ).records[0]!.provider;

  it('is the vendor of ai.model.provider, not the API name the ai.* spans copy to gen_ai.system', () => {
    const same = 'openai.responses';
    expect(providerOfSpan({ 'ai.model.provider': same, 'gen_ai.system': same })).toBe('openai');
    expect(providerOfSpan({ 'ai.model.provider': 'google.vertex.chat' })).toBe('gcp.vertex_ai');
  });

  it('is gen_ai.provider.name when an instrumentation names it', () => {
    const attrs = { 'ai.model.provider': 'gateway', 'gen_ai.provider.name': 'aws.bedrock' };
    expect(providerOfSpan(attrs)).toBe('aws.bedrock');
  });
});
