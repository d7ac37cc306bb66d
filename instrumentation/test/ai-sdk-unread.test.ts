import { streamText } from 'ai';
import { expect, it } from 'vitest';
import { type AiSdkBed, aiSdkTestbed, chatStream, split } from './fake-ai-sdk.js';
import { GPT_4O_MINI_COST } from './fake-openai.js';
import { useTestbed, waitForSpans } from './harness.js';

// A model stream nobody reads to its end still ends its span: after the idle time
// without a read (here 100 ms), marked idle, with what it had said by then. (The
// AI SDK's own streamText reads the model stream whether or not the app reads it.)

let bed: AiSdkBed;
useTestbed(
  () => aiSdkTestbed({ streamIdleMs: 100 }),
  (b) => {
    bed = b;
  },
);

it('a streamText result the app never reads: the AI SDK still reads the model stream, the call ends whole', async () => {
  bed.oa.script(chatStream(['never', 'read']));
  streamText({ model: bed.openai.chat('gpt-4o-mini'), prompt: 'Hi' });
  const [span] = await waitForSpans(bed.t, 1, 3000);
  const { rest, cost } = split(span!);
  expect(rest).toMatchObject({
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.request.stream': true,
    'gen_ai.usage.input_tokens': 1000,
    'gen_ai.usage.output_tokens': 100,
  });
  expect(rest['costlens.stream.state']).toBeUndefined();
  expect(cost).toBe(GPT_4O_MINI_COST);
});

it("a model's doStream whose stream is read once and then left: ended when idle, with what it said", async () => {
  bed.oa.script(chatStream(['a', 'b']));
  const { stream } = await bed.openai
    .chat('gpt-4o-mini')
    .doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
  const reader = stream.getReader();
  await reader.read(); // stream-start
  await reader.read(); // the response's metadata
  const [span] = await waitForSpans(bed.t, 1, 3000);
  const { rest, ttft } = split(span!);
  expect(rest).toMatchObject({
    'gen_ai.response.id': 'chatcmpl-stream-ai',
    'costlens.stream.state': 'idle',
  });
  expect(ttft).toBeGreaterThan(0);
});
