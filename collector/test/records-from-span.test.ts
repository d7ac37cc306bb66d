import { loadCatalogue, usdToPusd } from '@costlens/pricing';
import { describe, expect, it } from 'vitest';
import { isGenAiSpan, recordFromSpan, type SpanInput } from '../src/records/from-span.js';

const catalogue = loadCatalogue();
const T0 = 1_764_000_000_000_000_000n; // 2025-11-24T16:00:00Z in ns

function span(attributes: Record<string, unknown>, extra: Partial<SpanInput> = {}): SpanInput {
  return {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    name: 'chat gpt-4o',
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 1_250_000_000n,
    attributes,
    status: { code: 0, message: '' },
    ...extra,
  };
}
const resource = { 'service.name': 'checkout', 'costlens.project': 'shop' };
const map = (s: SpanInput, scopeName = 'some-instrumentation') =>
  recordFromSpan(s, { resource, scopeName }, { catalogue });

describe('GenAI span -> call record', () => {
  it('our own span, with every column', () => {
    const r = map(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 10_000n,
        'gen_ai.usage.output_tokens': 500,
        'gen_ai.usage.cache_read.input_tokens': 8_000,
        'gen_ai.response.time_to_first_chunk': 0.42,
        'gen_ai.request.stream': true,
        'costlens.user': 'u-17',
        'costlens.retry.count': 1,
        'http.request.header.authorization': 'Bearer sk-secret',
        'server.address': 'api.openai.com',
      }),
      '@costlens/instrumentation',
    );
    expect(r).toEqual({
      id: '5b8efff798038103d269b633813fc60ceee19b7ec3c1b174',
      trace_id: '5b8efff798038103d269b633813fc60c',
      span_id: 'eee19b7ec3c1b174',
      started_at: 1_764_000_000_000,
      finished_at: 1_764_000_001_250,
      duration_ms: 1250,
      ttft_ms: 420,
      service: 'checkout',
      project: 'shop',
      user: 'u-17',
      account: null,
      provider: 'openai',
      operation: 'chat',
      call_type: 'text',
      request_model: 'gpt-4o',
      response_model: 'gpt-4o-2024-08-06',
      input_tokens: 10_000,
      output_tokens: 500,
      cache_read_tokens: 8_000,
      cache_write_tokens: null,
      cache_write_1h_tokens: null,
      reasoning_tokens: null,
      image_count: null,
      image_size: null,
      image_resolution: null,
      image_quality: null,
      video_seconds: null,
      video_resolution: null,
      video_audio: null,
      aspect_ratio: null,
      status: 'success',
      error_type: null,
      error_message: null,
      retry_count: 1,
      cost_pusd: 20_000_000_000,
      cost_breakdown_pusd: {
        input: 5_000_000_000,
        output: 5_000_000_000,
        cache_read: 10_000_000_000,
        cache_write: 0,
        reasoning: 0,
        media: 0,
      },
      pricing_source: catalogue.version,
      unpriced_reason: null,
      prompt: null,
      output_path: null,
      attributes: JSON.stringify({
        'gen_ai.request.stream': true,
        'server.address': 'api.openai.com',
      }),
    });
  });

  it('a catalogue-priced call keeps the catalogue breakdown in pico-dollars, as it was computed', () => {
    const usages = [
      { input_tokens: 1_234, output_tokens: 567 },
      { input_tokens: 10_000, output_tokens: 1, cache_read_tokens: 9_999 },
      { input_tokens: 3, output_tokens: 7, reasoning_tokens: 5 },
    ];
    for (const u of usages) {
      const r = map(
        span({
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': u.input_tokens,
          'gen_ai.usage.output_tokens': u.output_tokens,
          'gen_ai.usage.cache_read.input_tokens': u.cache_read_tokens,
          'gen_ai.usage.reasoning.output_tokens': u.reasoning_tokens,
        }),
      );
      const priced = catalogue.price({
        ...u,
        model: 'gpt-4o',
        provider: 'openai',
        at: r.started_at,
      });
      if (priced.unpriced) throw new Error('gpt-4o should be priced');
      expect(r.cost_breakdown_pusd).toEqual(priced.breakdown_pusd);
      expect(r.cost_pusd).toBe(priced.cost_pusd);
    }
  });

  it('cache_creation counts every cache write; the 1-hour share is taken out of it, not billed twice', () => {
    const r = map(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': 16_021,
        'gen_ai.usage.cache_read.input_tokens': 12_000,
        'gen_ai.usage.cache_creation.input_tokens': 4_000,
        'costlens.usage.cache_write_1h.input_tokens': 1_000,
        'gen_ai.usage.output_tokens': 393,
      }),
      '@costlens/instrumentation',
    );
    expect(r).toMatchObject({
      input_tokens: 16_021,
      cache_read_tokens: 12_000,
      cache_write_tokens: 3_000,
      cache_write_1h_tokens: 1_000,
    });
    // claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 5-minute and $6 1-hour cache write, $15 output per 1M
    const expected = (21 * 3 + 12_000 * 0.3 + 3_000 * 3.75 + 1_000 * 6 + 393 * 15) / 1e6;
    expect(r.cost_pusd).toBe(usdToPusd(expected));
  });

  it('keeps the cost the instrumentation computed', () => {
    const r = map(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'x',
        'costlens.cost.usd': 0.0123,
        'costlens.pricing.source': 'override',
      }),
    );
    expect(r).toMatchObject({
      cost_pusd: 12_300_000_000,
      cost_breakdown_pusd: null,
      pricing_source: 'override',
    });
  });

  it("reads the instrumentation's breakdown (USD) into pico-dollars; one that is not six amounts is none", () => {
    const given = (breakdown: string) =>
      map(
        span({
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'x',
          'costlens.cost.usd': 0.0035,
          'costlens.cost.breakdown': breakdown,
        }),
      );
    const whole =
      '{"input":0.0025,"output":0.001,"cache_read":0,"cache_write":0,"reasoning":0,"media":0}';
    expect(given(whole)).toMatchObject({
      cost_pusd: 3_500_000_000,
      cost_breakdown_pusd: {
        input: 2_500_000_000,
        output: 1_000_000_000,
        cache_read: 0,
        cache_write: 0,
        reasoning: 0,
        media: 0,
      },
    });
    for (const odd of [
      'null',
      '5',
      '[1,2]',
      'not json',
      '{"input":"x","output":0.002}',
      '{"input":0.1}',
    ]) {
      expect(given(odd)).toMatchObject({ cost_pusd: 3_500_000_000, cost_breakdown_pusd: null });
    }
  });

  it('an unknown model is stored unpriced with the reason, never 0', () => {
    const r = map(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-77',
        'gen_ai.usage.input_tokens': 5,
      }),
    );
    expect(r.cost_pusd).toBeNull();
    expect(r.unpriced_reason).toMatch(/^unknown model "gpt-77"/);
  });

  it('a video job with its resolution but no seconds delivered is unpriced, not $0', () => {
    const r = map(
      span({
        'gen_ai.operation.name': 'generate_content',
        'gen_ai.provider.name': 'gcp.vertex_ai',
        'gen_ai.request.model': 'veo-3.1-generate-001',
        'costlens.video.resolution': '1080p',
        'costlens.video.audio': true,
        'costlens.video.state': 'submitted',
      }),
    );
    expect(r.cost_pusd).toBeNull();
    expect(r.unpriced_reason).toBe('the span reports no usage (tokens, images or seconds)');
  });

  it('a failed call with no usage is not billed; with usage it costs what was reported', () => {
    const err = { status: { code: 2, message: 'Rate limit reached for gpt-4o' } };
    const none = map(
      span(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'error.type': 'RateLimitError',
        },
        err,
      ),
    );
    expect(none).toMatchObject({
      status: 'error',
      error_type: 'RateLimitError',
      error_message: 'Rate limit reached for gpt-4o',
      cost_pusd: 0,
      pricing_source: 'not billed',
    });
    const some = map(
      span(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 1_000,
          'gen_ai.usage.output_tokens': 10,
        },
        err,
      ),
    );
    expect(some).toMatchObject({
      status: 'error',
      error_type: 'error',
      cost_pusd: usdToPusd(0.0026),
    });
  });

  it('older semconv: gen_ai.system and prompt/completion tokens', () => {
    const r = map(
      span({
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.prompt_tokens': 1_000_000,
        'gen_ai.usage.completion_tokens': 0,
      }),
    );
    expect(r).toMatchObject({
      provider: 'openai',
      input_tokens: 1_000_000,
      output_tokens: 0,
      cost_pusd: usdToPusd(0.15),
    });
  });

  it('Anthropic input without cache tokens (raw convention) is corrected once', () => {
    // 100 fresh tokens reported as input, 20,000 read and 5,000 written: input must be 25,100.
    const r = map(
      span({
        'gen_ai.system': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.cache_read_input_tokens': 20_000,
        'gen_ai.usage.cache_write.input_tokens': 5_000,
        'gen_ai.usage.output_tokens': 0,
      }),
    );
    expect(r).toMatchObject({
      input_tokens: 25_100,
      cache_read_tokens: 20_000,
      cache_write_tokens: 5_000,
    });
    expect(r.cost_pusd).toBe(100 * 3_000_000 + 20_000 * 300_000 + 5_000 * 3_750_000);
    // Already including them: not added twice.
    const incl = map(
      span({
        'gen_ai.system': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': 25_100,
        'gen_ai.usage.cache_read_input_tokens': 20_000,
        'gen_ai.usage.cache_write.input_tokens': 5_000,
      }),
    );
    expect(incl.input_tokens).toBe(25_100);
  });

  it('cache tokens without an input count are input, not an error', () => {
    const r = map(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.cache_read.input_tokens': 1_000_000,
      }),
    );
    expect(r).toMatchObject({
      input_tokens: 1_000_000,
      cache_read_tokens: 1_000_000,
      cost_pusd: usdToPusd(1.25),
    });
  });

  it('OpenInference llm.* spans', () => {
    const a = {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o',
      'llm.provider': 'openai',
      'llm.token_count.prompt': 2_000,
      'llm.token_count.completion': 100,
      'llm.token_count.prompt_details.cache_read': 1_000,
    };
    expect(isGenAiSpan(a)).toBe(true);
    expect(map(span(a))).toMatchObject({
      provider: 'openai',
      operation: 'chat',
      call_type: 'text',
      input_tokens: 2_000,
      cache_read_tokens: 1_000,
      cost_pusd: usdToPusd(0.00475),
    });
  });

  it('OpenLIT: a positive gen_ai.usage.cost is kept, a 0 is priced by us', () => {
    const base = {
      'gen_ai.system': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 1_000_000,
    };
    expect(map(span({ ...base, 'gen_ai.usage.cost': 2.4 }))).toMatchObject({
      cost_pusd: usdToPusd(2.4),
      pricing_source: 'openlit',
    });
    expect(map(span({ ...base, 'gen_ai.usage.cost': 0 }))).toMatchObject({
      cost_pusd: usdToPusd(2.5),
      pricing_source: catalogue.version,
    });
  });

  it('Vercel AI SDK: only the provider-call spans, with ai.usage and ai.model', () => {
    const inner = {
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.provider': 'google.generative-ai',
      'ai.model.id': 'gemini-2.5-flash',
      'ai.usage.promptTokens': 1_000_000,
      'ai.usage.completionTokens': 0,
    };
    expect(isGenAiSpan(inner)).toBe(true);
    expect(
      isGenAiSpan({ 'ai.operationId': 'ai.generateText', 'ai.usage.promptTokens': 1_000_000 }),
    ).toBe(false);
    expect(map(span(inner))).toMatchObject({
      provider: 'gcp.gemini',
      request_model: 'gemini-2.5-flash',
      operation: 'chat',
      input_tokens: 1_000_000,
      cost_pusd: usdToPusd(0.3),
    });
  });

  it('media calls: image and video facts', () => {
    const r = map(
      span({
        'gen_ai.operation.name': 'video_generation',
        'gen_ai.provider.name': 'gcp.vertex_ai',
        'gen_ai.request.model': 'veo-3.1-generate-001',
        'costlens.video.seconds': 8,
        'costlens.video.resolution': '1080p',
        'costlens.video.audio': true,
      }),
    );
    expect(r).toMatchObject({
      call_type: 'video',
      video_seconds: 8,
      video_audio: true,
      cost_pusd: usdToPusd(3.2),
    });
    const img = map(
      span({
        'gen_ai.operation.name': 'image_generation',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-image-1',
        'costlens.image.count': 2,
        'costlens.image.size': '1024x1536',
        'costlens.image.quality': 'high',
      }),
    );
    expect(img).toMatchObject({ call_type: 'image', image_count: 2, cost_pusd: usdToPusd(0.5) });
  });

  it('non-GenAI spans are not calls', () => {
    expect(isGenAiSpan({ 'http.request.method': 'GET' })).toBe(false);
  });
});
