import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as googleGenAI from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import OpenAI, * as openaiModule from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallTracker } from '../src/call.js';
import { REGISTER_AFTER_MS } from '../src/open-streams.js';
import { type FakeGoogle, type GenAI, STREAM_ID, startFakeGoogle } from './fake-google.js';
import {
  API_KEY,
  chatChunks,
  costOf,
  type FakeOpenAI,
  GPT_4O_MINI_COST,
  startFakeOpenAI,
} from './fake-openai.js';
import { sendSse, setupTelemetry, type Telemetry, waitForSpans } from './harness.js';

// Responses the app never reads, through the real SDKs: a promise never awaited,
// a stream never iterated or dropped half-way. None leaves its span open or is
// held: a plain answer ends its call when it arrives; a stream ends, with what it
// said, when the app lets go of it or stops reading for the idle time.

// The collector of the test process, reached without a command-line flag.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let openai: FakeOpenAI;
let google: FakeGoogle;
let t: Telemetry;
let client: OpenAI;
let gemini: GenAI;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  google = await startFakeGoogle();
  t = setupTelemetry({}, { openai: openaiModule, googleGenAI });
  client = new OpenAI({ apiKey: API_KEY, baseURL: openai.baseURL, maxRetries: 0 });
  gemini = new googleGenAI.GoogleGenAI({
    apiKey: 'test-key',
    httpOptions: { baseUrl: google.url },
  });
});
afterEach(() => t.reset());
afterAll(async () => {
  await t.shutdown();
  await openai.close();
  await google.close();
});

const streams = () =>
  (t.instrumentation as unknown as { tracker(): CallTracker }).tracker().streams;

/** A new idle time (a new tracker): short to see idle streams end, long to see released ones. */
const idleAfter = (streamIdleMs: number) => t.instrumentation.setConfig({ streamIdleMs });

/** Collects garbage until `n` spans have ended (finalizers run after a collection, in a later task). */
async function collectUntil(n: number): Promise<void> {
  for (let i = 0; i < 100 && t.spans().length < n; i++) {
    gc();
    await sleep(20);
  }
}

describe('a plain answer nobody reads', () => {
  it('an APIPromise never awaited ends its span when the response arrives, priced', async () => {
    const p = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    const [span] = await waitForSpans(t, 1);
    expect(span!.attributes).toMatchObject({
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
    });
    expect(costOf(span!.attributes)).toBe(GPT_4O_MINI_COST);
    // The app can still read it later, whole; nothing is recorded twice.
    const out = await p;
    expect(out.choices[0]!.message.content).toBe('Hello! How can I help?');
    await sleep(20);
    expect(t.spans()).toHaveLength(1);
  });

  it('a derived promise (the Responses API) and embeddings, never awaited', async () => {
    void client.responses.create({ model: 'o4-mini', input: 'Tell me a story' });
    void client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    const spans = await waitForSpans(t, 2);
    const byOp = Object.fromEntries(
      spans.map((s) => [s.attributes['gen_ai.operation.name'], s.attributes]),
    );
    expect(byOp.chat).toMatchObject({ 'gen_ai.usage.input_tokens': 2000 });
    expect(byOp.embeddings).toMatchObject({ 'gen_ai.usage.input_tokens': 8 });
    expect(spans.every((s) => s.attributes['costlens.stream.state'] === undefined)).toBe(true);
  });

  it('an answer read at once is read once, by the SDK, as before', async () => {
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    const [span] = await waitForSpans(t, 1);
    expect(costOf(span!.attributes)).toBe(GPT_4O_MINI_COST);
  });
});

describe('streams nobody reads to the end, idle time 150 ms', () => {
  beforeAll(() => idleAfter(150));

  it('a stream request never awaited ends after the idle time, marked idle, unpriced', async () => {
    void client.chat.completions.create({ model: 'gpt-4o-mini', messages: [], stream: true });
    await sleep(50);
    expect(t.spans()).toHaveLength(0);
    const [span] = await waitForSpans(t, 1, 2000);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'costlens.stream.state': 'idle',
      'costlens.cost.unpriced': true,
    });
    // Ended between one and 1.25 idle times (plus a sweep's lateness) after the last read.
    expect(span!.duration[1] / 1e6 + span!.duration[0] * 1000).toBeGreaterThanOrEqual(150);
    expect(streams().size).toBe(0);
  });

  it('a stream read half-way and left: ended with what it said so far', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    const [span] = await waitForSpans(t, 1, 2000);
    expect(span!.attributes).toMatchObject({
      'costlens.stream.state': 'idle',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-stream-1',
    });
    expect(span!.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    // Read on later, it ends nothing twice.
    for await (const _ of { [Symbol.asyncIterator]: () => it });
    await sleep(20);
    expect(t.spans()).toHaveLength(1);
  });

  it('a @google/genai stream never iterated ends after the idle time', async () => {
    await gemini.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' });
    const [span] = await waitForSpans(t, 1, 2000);
    expect(span!.attributes).toMatchObject({
      'gen_ai.provider.name': 'gcp.gemini',
      'costlens.stream.state': 'idle',
    });
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });

  it('a slow server is not an idle reader: the app waiting for a chunk keeps the stream open', async () => {
    openai.script((_req, res) =>
      sendSse(
        res,
        chatChunks(true).map((data) => ({ data })),
        { gapMs: 250, done: true },
      ),
    );
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    let n = 0;
    for await (const _ of stream) n++;
    expect(n).toBe(4);
    const [span] = await waitForSpans(t, 1);
    expect(span!.attributes['costlens.stream.state']).toBeUndefined();
    expect(costOf(span!.attributes)).toBe(GPT_4O_MINI_COST);
  });
});

describe('streams the app lets go of, idle time 10 minutes', () => {
  beforeAll(() => idleAfter(600_000));

  it('an openai stream never iterated ends when it is garbage-collected, marked released', async () => {
    // The stream lives only inside this function.
    await (async () => {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [], stream: true });
    })();
    expect(t.spans()).toHaveLength(0);
    await collectUntil(1);
    const spans = t.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes).toMatchObject({
      'costlens.stream.state': 'released',
      'costlens.cost.unpriced': true,
    });
    expect(streams().size).toBe(0);
  });

  it('a @google/genai stream dropped after its first chunk: released, with what it said', async () => {
    await (async () => {
      const stream = await gemini.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'Hi',
      });
      await stream[Symbol.asyncIterator]().next();
    })();
    await collectUntil(1);
    const [span] = t.spans();
    expect(span!.attributes).toMatchObject({
      'costlens.stream.state': 'released',
      'gen_ai.response.id': STREAM_ID,
      'gen_ai.usage.input_tokens': 8,
    });
  });

  it('only a stream still open after a moment reaches the registry, whose cells slow every collection', async () => {
    const register = vi.spyOn(FinalizationRegistry.prototype, 'register');
    // undici registers objects of its own (the fetch's AbortController): only ours count.
    const registry = (streams() as unknown as { registry: FinalizationRegistry<object> }).registry;
    const ours = () => register.mock.contexts.filter((r) => r === registry).length;
    try {
      const read = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [],
        stream: true,
      });
      for await (const _ of read);
      await sleep(REGISTER_AFTER_MS + 50);
      expect(ours()).toBe(0);
      const left = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [],
        stream: true,
      });
      await sleep(REGISTER_AFTER_MS + 50);
      expect(ours()).toBe(1);
      const i = register.mock.contexts.indexOf(registry);
      expect(register.mock.calls[i]![0]).toBe(left);
      for await (const _ of left);
      expect(streams().size).toBe(0);
    } finally {
      register.mockRestore();
    }
  });

  it('a stream request never awaited and dropped is released too', async () => {
    (() => {
      void client.chat.completions.create({ model: 'gpt-4o-mini', messages: [], stream: true });
    })();
    await sleep(50);
    await collectUntil(1);
    expect(t.spans()[0]?.attributes['costlens.stream.state']).toBe('released');
    expect(streams().size).toBe(0);
  });
});
