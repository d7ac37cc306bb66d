import OpenAI, * as openaiModule from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';
import { onlySpan, setupTelemetry, type Telemetry } from './harness.js';

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
