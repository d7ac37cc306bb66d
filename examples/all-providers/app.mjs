// costlens example: one import observes three AI SDKs and the Vercel AI SDK, and
// track() records a call made with a client costlens does not patch. Nothing here
// mentions OpenTelemetry.
//
//   OTEL_SERVICE_NAME=demo node --import @costlens/instrumentation/register app.mjs --fake
//
// --fake (or EXAMPLE_FAKE=1) answers every call from a local stand-in server; without
// it, each provider whose key is set is called for real (OPENAI_API_KEY,
// ANTHROPIC_API_KEY, GEMINI_API_KEY, CLOUDFLARE_ACCOUNT_ID + CLOUDFLARE_API_TOKEN).
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { track, withAttributes } from '@costlens/instrumentation';
import { GoogleGenAI } from '@google/genai';
import { generateText } from 'ai';
import OpenAI from 'openai';
import { startFakeProviders } from './fake-providers.mjs';

const env = process.env;
const fake = process.argv.includes('--fake') || env.EXAMPLE_FAKE === '1';
const server = fake ? await startFakeProviders() : undefined;
const key = (name) => (fake ? 'fake-key' : env[name]);

const openai =
  key('OPENAI_API_KEY') && new OpenAI({ apiKey: key('OPENAI_API_KEY'), baseURL: server?.openai });
const anthropic =
  key('ANTHROPIC_API_KEY') &&
  new Anthropic({ apiKey: key('ANTHROPIC_API_KEY'), baseURL: server?.anthropic });
const gemini =
  key('GEMINI_API_KEY') &&
  new GoogleGenAI({
    apiKey: key('GEMINI_API_KEY'),
    httpOptions: server ? { baseUrl: server.google } : undefined,
  });
const cloudflare = (fake || (env.CLOUDFLARE_ACCOUNT_ID && env.CLOUDFLARE_API_TOKEN)) && {
  base: server?.cloudflare ?? 'https://api.cloudflare.com/client/v4',
  account: env.CLOUDFLARE_ACCOUNT_ID ?? 'example-account',
  token: key('CLOUDFLARE_API_TOKEN'),
};

const show = (provider, model, text) =>
  console.log(`${provider.padEnd(11)} ${model.padEnd(32)} ${text}`);
const skip = (provider, why) => console.log(`${provider.padEnd(11)} skipped: ${why}`);

/** Cloudflare Workers AI over plain fetch: no SDK to patch, so the call is wrapped in track(). */
async function workersAi(model, prompt) {
  const res = await fetch(`${cloudflare.base}/accounts/${cloudflare.account}/ai/run/${model}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cloudflare.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: prompt }] }),
  });
  if (!res.ok) throw new Error(`Workers AI answered ${res.status}: ${await res.text()}`);
  return res.json();
}

// Calls inside withAttributes are charged to its project and user; others to
// COSTLENS_PROJECT / COSTLENS_USER when set.
await withAttributes({ project: 'support-bot', user: 'alice' }, async () => {
  if (!openai) skip('openai', 'set OPENAI_API_KEY or use --fake');
  else {
    const chat = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'When does my order ship?' }],
    });
    show('openai', 'gpt-4o-mini', chat.choices[0].message.content);
    // Streamed: costlens asks for the usage chunk and keeps it from the app.
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Send me the tracking number.' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    show('openai', 'gpt-4o-mini (streamed)', text);
  }
  if (!anthropic) skip('anthropic', 'set ANTHROPIC_API_KEY or use --fake');
  else {
    const msg = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      messages: [{ role: 'user', content: 'How long does a refund take?' }],
    });
    show('anthropic', 'claude-haiku-4-5', msg.content[0].text);
  }
});

await withAttributes({ project: 'research', user: 'bob' }, async () => {
  if (!gemini) skip('google', 'set GEMINI_API_KEY or use --fake');
  else {
    const answer = await gemini.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue? One line.',
    });
    show('google', 'gemini-2.5-flash', answer.text);
  }
  // The Vercel AI SDK calls providers with fetch, not their SDKs: costlens
  // patches its provider packages, so this is recorded and priced too.
  if (!openai) skip('vercel-ai', 'set OPENAI_API_KEY or use --fake');
  else {
    const provider = createOpenAI({ apiKey: key('OPENAI_API_KEY'), baseURL: server?.openai });
    const { text } = await generateText({
      model: provider.chat('gpt-4o-mini'),
      prompt: 'Summarise my last order in five words.',
    });
    show('vercel-ai', 'gpt-4o-mini (AI SDK)', text);
  }
  if (!cloudflare)
    skip('cloudflare', 'set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN or use --fake');
  else {
    const model = '@cf/meta/llama-3.1-8b-instruct';
    const out = await track(
      {
        provider: 'cloudflare',
        model,
        extract: (r) => ({
          usage: {
            input_tokens: r.result.usage?.prompt_tokens,
            output_tokens: r.result.usage?.completion_tokens,
          },
        }),
      },
      () => workersAi(model, 'Say hello in French.'),
    );
    show('cloudflare', model, out.result.response);
  }
});

// Nothing else to do: the process ends, and register sends the spans on its way out.
await server?.close();
