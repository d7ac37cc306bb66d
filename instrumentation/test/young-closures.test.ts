import { setFlagsFromString } from 'node:v8';
import OpenAI, * as openaiModule from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';
import { setupTelemetry, type Telemetry, waitForSpans } from './harness.js';

// The functions costlens makes for each call are allocated in the young
// generation, as the call's other objects are. V8 puts a function written
// straight into a property (`obj.f = function () {}`) in the old generation,
// where it outlives its call and keeps the call's objects through every young
// collection (see OLD_SPACE_CLOSURES in src/stream-observer.ts). And once the
// answer is seen, the SDK's promise no longer reaches the call. The check is
// V8's own, reached without a command-line flag.
setFlagsFromString('--allow-natives-syntax');
const isYoung = new Function('o', 'return %InYoungGeneration(o)') as (o: unknown) => boolean;

let server: FakeOpenAI;
let t: Telemetry;
let client: OpenAI;

beforeAll(async () => {
  server = await startFakeOpenAI();
  t = setupTelemetry({}, { openai: openaiModule });
  client = new OpenAI({ apiKey: API_KEY, baseURL: server.baseURL, maxRetries: 0 });
});
afterEach(() => t.reset());
afterAll(async () => {
  await t.shutdown();
  await server.close();
});

describe('functions made per call', () => {
  it('are young: a stream and its iterator', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    const s = stream as unknown as { iterator: (this: unknown) => Record<string, unknown> };
    const observed = s.iterator;
    expect(observed.name).toBe('observedIterator');
    expect(isYoung(observed)).toBe(true);
    // The iterator costlens hands the SDK, looked at as it is made (before a
    // collection could move it).
    const made: boolean[] = [];
    s.iterator = function (this: unknown) {
      const iterator = observed.call(this);
      made.push(typeof iterator.onStep === 'function', isYoung(iterator.onStep));
      made.push(typeof iterator.onError === 'function', isYoung(iterator.onError));
      return iterator;
    };
    for await (const _ of stream);
    expect(made).toEqual([true, true, true, true]);
    await waitForSpans(t, 1);
  });

  it('are young: an APIPromise', async () => {
    const p = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    const own = p as unknown as Record<string, unknown>;
    expect(isYoung(own.parseResponse)).toBe(true);
    // openai 7 derives its helpers' promises through an own `_thenUnwrap`.
    if (Object.hasOwn(own, '_thenUnwrap')) expect(isYoung(own._thenUnwrap)).toBe(true);
    await p;
    await waitForSpans(t, 1);
  });

  it('are let go of once the answer is read: the promise has the SDK own methods back', async () => {
    const p = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    const own = p as unknown as Record<string, { name: string } | undefined>;
    const hasThenUnwrap = Object.hasOwn(own, '_thenUnwrap');
    expect(own.parseResponse?.name).toBe('observedParse');
    if (hasThenUnwrap) expect(own._thenUnwrap?.name).toBe('observedThenUnwrap');
    await p;
    await waitForSpans(t, 1);
    // openai 7 keeps a promise alive from methods of its own (see answered in src/wrap.ts).
    expect(own.parseResponse?.name).not.toBe('observedParse');
    if (hasThenUnwrap) expect(own._thenUnwrap?.name).not.toBe('observedThenUnwrap');
    // Read again, it still answers, and nothing more is recorded.
    expect((await p).choices[0]!.message.content).toBe('Hello! How can I help?');
    expect(t.spans()).toHaveLength(1);
  });
});
