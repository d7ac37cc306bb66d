import OpenAI, * as openaiModule from 'openai';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { chatChunks, type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';
import { onlySpan, sendSse, setupTelemetry, type Telemetry, waitForSpans } from './harness.js';

// Prompts and completions are recorded only when the user opts in, truncated, and
// never with anything that looks like a credential.

let server: FakeOpenAI;
let t: Telemetry;

beforeAll(async () => {
  server = await startFakeOpenAI();
  t = setupTelemetry(
    { captureMessageContent: true, maxContentChars: 60 },
    { openai: openaiModule },
  );
});
afterAll(async () => {
  await t.shutdown();
  await server.close();
});
afterEach(() => t.reset());

it('records the prompt and the completion, truncated, with keys masked', async () => {
  const client = new OpenAI({ apiKey: 'sk-test-0123456789abcdefghij', baseURL: server.baseURL });
  await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'user', content: 'my key is sk-live-abcdefghijklmnop, keep it safe please, thanks' },
    ],
  });
  const a = onlySpan(t).attributes;
  expect(a['costlens.prompt']).toBe(
    '[{"role":"user","content":"my key is sk-l…[redacted], keep i…',
  );
  expect(a['costlens.completion']).toBe('Hello! How can I help?');
  expect(JSON.stringify(a)).not.toContain('abcdefghij');
});

it('a streamed completion is recorded as a whole one would be: cut, and a key across the cut masked', async () => {
  // 49 characters, then a Google key that starts before the 60th and ends well after it.
  const text = `${'x'.repeat(48)} AIzaSyA1234567890abcdefghijklmn, then ${'more words '.repeat(500)}`;
  const [first, , , last, usage] = chatChunks(true) as Record<string, unknown>[];
  const pieces = text.match(/.{1,7}/gs)!.map((content) => ({
    ...first,
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  }));
  server.script((_req, res) =>
    sendSse(
      res,
      [first, ...pieces, last, usage].map((data) => ({ data })),
      { done: true },
    ),
  );
  const client = new OpenAI({ apiKey: 'sk-test-0123456789abcdefghij', baseURL: server.baseURL });
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hi' }],
    stream: true,
  });
  let received = '';
  for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
  expect(received).toBe(text);
  const [span] = await waitForSpans(t, 1);
  expect(span!.attributes['costlens.completion']).toBe(`${'x'.repeat(48)} AIza…[redac…`);
});
