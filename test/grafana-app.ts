import type OpenAI from 'openai';
import { withAttributes } from '../instrumentation/src/index.js';
import { type FakeOpenAI, sendError } from '../instrumentation/test/fake-openai.js';
import { sendJson } from '../instrumentation/test/harness.js';

// An instrumented app's traffic: the real openai SDK, patched by
// @costlens/instrumentation, against the local fake OpenAI server. Project `shop`
// makes every kind of call a dashboard shows; `research` plain and streamed chat.

async function streamed(client: OpenAI): Promise<void> {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const _ of stream);
}

/** One round of calls, `chats` plain chat calls per project among them. */
export async function traffic(client: OpenAI, server: FakeOpenAI, chats: number): Promise<void> {
  const chat = (model = 'gpt-4o-mini') =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  for (const project of ['shop', 'research']) {
    await withAttributes({ project }, async () => {
      for (let i = 0; i < chats; i++) await chat();
      await streamed(client);
      if (project !== 'shop') return;
      // A 429 the SDK retries after 1 ms (OpenAI's retry-after-ms), then the default answer.
      server.script((_req, res) =>
        sendJson(
          res,
          429,
          {
            error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
          },
          { 'retry-after-ms': '1' },
        ),
      );
      await chat();
      server.script((_req, res) =>
        sendError(res, 400, 'invalid_request_error', "Invalid value for 'temperature'."),
      );
      await chat().catch(() => {});
      await client.images.generate({
        model: 'gpt-image-1',
        prompt: 'a cat',
        quality: 'high',
        size: '1024x1536',
      });
      const video = await client.videos.create({
        model: 'sora-2',
        prompt: 'a wave',
        seconds: '8',
        size: '1280x720',
      });
      // An app polls the job until it is done; a fake server that does not know the
      // job answers 404, and the call then counted at its submission.
      await client.videos.retrieve(video.id).catch(() => {});
      await chat('mystery-model-1'); // no price in the catalogue
    });
  }
}
