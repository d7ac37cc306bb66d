import { generateText, streamText } from 'ai';
import { expect, it } from 'vitest';
import { type AiSdkBed, aiSdkTestbed, chatStream } from './fake-ai-sdk.js';
import { onlySpan, useTestbed, waitForSpans } from './harness.js';

// Through the AI SDK too, prompts and completions are recorded only when the user
// opts in, truncated, with anything that looks like a credential masked.

let bed: AiSdkBed;
useTestbed(
  () => aiSdkTestbed({ captureMessageContent: true, maxContentChars: 80 }),
  (b) => {
    bed = b;
  },
);

it('generateText: the prompt as the model got it and the answer, truncated, keys masked', async () => {
  await generateText({
    model: bed.openai.chat('gpt-4o-mini'),
    prompt: 'my key is sk-live-abcdefghijklmnop, keep it safe',
  });
  const a = onlySpan(bed.t).attributes;
  expect(a['costlens.prompt']).toBe(
    '[{"role":"user","content":[{"type":"text","text":"my key is sk-l…[redacted], kee…',
  );
  expect(a['costlens.completion']).toBe('Hello! How can I help?');
  expect(JSON.stringify(a)).not.toContain('abcdefghij');
});

it('streamText: the streamed answer, cut at the limit', async () => {
  bed.oa.script(chatStream(['x'.repeat(50), 'y'.repeat(50)]));
  await streamText({ model: bed.openai.chat('gpt-4o-mini'), prompt: 'Hi' }).consumeStream();
  const [span] = await waitForSpans(bed.t, 1);
  expect(span!.attributes['costlens.completion']).toBe(`${'x'.repeat(50)}${'y'.repeat(30)}…`);
});
