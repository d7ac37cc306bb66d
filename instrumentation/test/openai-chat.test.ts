import { pusdToUsd } from '@costlens/pricing';
import { SpanStatusCode } from '@opentelemetry/api';
import OpenAI, * as openaiModule from 'openai';
import { describe, expect, it } from 'vitest';
import { withAttributes } from '../src/attribution.js';
import {
  API_KEY,
  CHAT_COMPLETION,
  chatChunks,
  costOf,
  type FakeOpenAI,
  GPT_4O_MINI_COST,
  openaiTestbed,
  sendError,
} from './fake-openai.js';
import {
  onlySpan,
  sendJson,
  sendSse,
  type Telemetry,
  useTestbed,
  waitForSpans,
} from './harness.js';

// Chat completions through the real openai SDK: plain, streamed, and the SDK's
// own promise and stream objects kept as they are.

let server: FakeOpenAI;
let t: Telemetry;
let client: OpenAI;

useTestbed(openaiTestbed, (bed) => {
  ({ server, t, client } = bed);
});

const server_ = () => ({ 'server.address': '127.0.0.1', 'server.port': server.port });

describe('chat completions', () => {
  it('a plain call becomes one CLIENT span with usage and cost', async () => {
    const out = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(out.choices[0]!.message.content).toBe('Hello! How can I help?');
    const span = onlySpan(t);
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.kind).toBe(2); // CLIENT
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const {
      'costlens.cost.usd': cost,
      'gen_ai.usage.cost': interopCost,
      'costlens.cost.breakdown': breakdown,
      'costlens.pricing.source': source,
      ...rest
    } = span.attributes;
    // The same USD figure where Langfuse, OpenLIT and Grafana's GenAI dashboards look.
    expect(interopCost).toBe(cost);
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      ...server_(),
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': CHAT_COMPLETION.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.cache_read.input_tokens': 200,
    });
    expect(cost).toBe(GPT_4O_MINI_COST);
    // 200 cached input tokens at 75,000 pUSD each
    expect(JSON.parse(String(breakdown))).toMatchObject({ cache_read: pusdToUsd(200 * 75_000) });
    expect(String(source)).toMatch(/^\d{4}\.\d{2}\.\d{2}-/);
  });

  it('records project, user and account from withAttributes, across awaits', async () => {
    await withAttributes({ project: 'web', user: 'u-42' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      await withAttributes({ account: 'acme' }, () =>
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }),
      );
    });
    expect(onlySpan(t).attributes).toMatchObject({
      'costlens.project': 'web',
      'costlens.user': 'u-42',
      'costlens.account': 'acme',
    });
  });

  it('keeps .withResponse() and the raw response', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [] })
      .withResponse();
    expect(data.id).toBe(CHAT_COMPLETION.id);
    expect(response.status).toBe(200);
    expect(onlySpan(t).attributes['gen_ai.usage.input_tokens']).toBe(1000);
  });

  it('leaves the body to .asResponse(): the caller reads it, the span still ends', async () => {
    const response = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [] })
      .asResponse();
    expect(((await response.json()) as { id: string }).id).toBe(CHAT_COMPLETION.id);
    const span = (await waitForSpans(t, 1))[0]!;
    expect(span.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });

  it('sees the response of helpers that derive a new promise (chat.completions.parse)', async () => {
    const out = await client.chat.completions.parse({ model: 'gpt-4o-mini', messages: [] });
    expect(out.id).toBe(CHAT_COMPLETION.id);
    expect(onlySpan(t).attributes['gen_ai.usage.input_tokens']).toBe(1000);
  });

  it("returns the SDK's own APIPromise", () => {
    const p = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    expect(p).toBeInstanceOf(openaiModule.APIPromise);
    return p;
  });

  it('streams: asks for the usage chunk, keeps it from the caller, records usage and time to first chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const seen: unknown[] = [];
    for await (const chunk of stream) seen.push(chunk);
    expect(seen).toEqual(chatChunks(true).slice(0, 4));
    expect(JSON.parse(server.requests.at(-1)!.body).stream_options).toEqual({
      include_usage: true,
    });
    const span = onlySpan(t);
    const {
      'costlens.cost.usd': cost,
      'gen_ai.usage.cost': interopCost,
      'costlens.cost.breakdown': _b,
      'costlens.pricing.source': _s,
      ...rest
    } = span.attributes;
    expect(interopCost).toBe(cost);
    const ttft = rest['gen_ai.response.time_to_first_chunk'];
    delete rest['gen_ai.response.time_to_first_chunk'];
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.stream': true,
      ...server_(),
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-stream-1',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.cache_read.input_tokens': 200,
    });
    expect(ttft).toBeGreaterThan(0);
    expect(ttft).toBeLessThan(span.duration[0] + span.duration[1] / 1e9 + 1e-9);
    expect(costOf(span.attributes)).toBe(GPT_4O_MINI_COST);
  });

  it('the chat.completions.stream() helper: one span with the usage', async () => {
    const runner = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [] });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe('Hello');
    const span = (await waitForSpans(t, 1))[0]!;
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
    });
    expect(t.spans()).toHaveLength(1);
  });

  it('passes the usage chunk through when the caller asked for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    });
    const seen: unknown[] = [];
    for await (const chunk of stream) seen.push(chunk);
    expect(seen).toEqual(chatChunks(true));
  });

  it('does not ask for usage when the caller said no', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
      stream_options: { include_usage: false },
    });
    for await (const _ of stream);
    expect(JSON.parse(server.requests.at(-1)!.body).stream_options).toEqual({
      include_usage: false,
    });
    const span = onlySpan(t);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(span.attributes['costlens.cost.unpriced']).toBe(true);
    expect(span.attributes['costlens.cost.unpriced_reason']).toBe('the response reported no usage');
    expect(span.attributes['costlens.cost.usd']).toBeUndefined();
  });

  it('does not prevent tee(): both branches see every chunk, one span', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    const [a, b] = stream.tee();
    const read = async (s: AsyncIterable<unknown>) => {
      const out: unknown[] = [];
      for await (const c of s) out.push(c);
      return out;
    };
    const [ra, rb] = await Promise.all([read(a), read(b)]);
    expect(ra).toEqual(chatChunks(true).slice(0, 4));
    expect(rb).toEqual(ra);
    const spans = await waitForSpans(t, 1);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['gen_ai.usage.output_tokens']).toBe(100);
  });

  it('does not misbehave with double iteration: the SDK still refuses it, one span', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    for await (const _ of stream);
    await expect(async () => {
      for await (const _ of stream);
    }).rejects.toThrow(/consumed stream/);
    expect(t.spans()).toHaveLength(1);
    expect(t.spans()[0]!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('an early break ends the span once, with what was reported by then', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    for await (const _ of stream) break;
    const spans = await waitForSpans(t, 1);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(spans[0]!.attributes['gen_ai.response.id']).toBe('chatcmpl-stream-1');
    expect(spans[0]!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    expect(t.spans()).toHaveLength(1);
  });

  it('a stream that fails mid-way ends the span with an error, once', async () => {
    // OpenAI reports a failure after the stream started as an `error` data event.
    server.script(async (_req, res) => {
      const [first, second] = chatChunks(true);
      await sendSse(res, [
        { data: first },
        { data: second },
        { data: { error: { message: 'The server had an error', type: 'server_error' } } },
      ]);
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    const seen: unknown[] = [];
    await expect(async () => {
      for await (const c of stream) seen.push(c);
    }).rejects.toThrow();
    expect(seen).toHaveLength(2);
    const span = onlySpan(t);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBeTypeOf('string');
    expect(span.attributes['costlens.cost.usd']).toBe(0);
  });

  it('an aborted stream ends the span once', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [], stream: true },
      { signal: controller.signal },
    );
    // The SDK ends an aborted stream quietly or with APIUserAbortError, by version.
    try {
      for await (const _ of stream) controller.abort();
    } catch (err) {
      expect(err).toBeInstanceOf(OpenAI.APIUserAbortError);
    }
    const spans = await waitForSpans(t, 1);
    expect(spans).toHaveLength(1);
  });

  it("counts the SDK's retries: a 429 then a 200 is one call with retry count 1", async () => {
    server.script((_req, res) =>
      sendJson(
        res,
        429,
        { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
        {
          'retry-after-ms': '1',
        },
      ),
    );
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    const span = onlySpan(t);
    expect(span.attributes['costlens.retry.count']).toBe(1);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("a failed call: the caller gets the SDK's error unchanged; the span says why; cost 0", async () => {
    server.script((_req, res) =>
      sendError(res, 400, 'invalid_request_error', "Invalid value for 'model'."),
    );
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("Invalid value for 'model'.");
    const span = onlySpan(t);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    expect(span.attributes).toMatchObject({
      'error.type': 'BadRequestError',
      'costlens.cost.usd': 0,
      'gen_ai.usage.cost': 0,
    });
  });

  it('an unknown model is unpriced, never 0', async () => {
    await client.chat.completions.create({ model: 'my-own-finetune-xyz', messages: [] });
    const a = onlySpan(t).attributes;
    expect(a['costlens.cost.unpriced']).toBe(true);
    expect(a['costlens.cost.unpriced_reason']).toMatch(/my-own-finetune-xyz/);
    expect(a['costlens.cost.usd']).toBeUndefined();
    expect(a['gen_ai.usage.cost']).toBeUndefined();
  });

  it('never records the API key or prompts unless asked', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'secret plan' }],
    });
    const text = JSON.stringify(onlySpan(t).attributes);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain('secret plan');
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });
});
