// An app that makes two chat calls (one streamed) with the openai SDK, at
// FAKE_OPENAI_URL, under the one import (register-metrics.test.ts runs it with
// `--import @costlens/instrumentation/register`).
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: process.env.KEY, baseURL: process.env.FAKE_OPENAI_URL });
await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
const stream = await client.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [],
  stream: true,
});
for await (const _ of stream) {
}
