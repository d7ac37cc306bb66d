import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { breakdownToUsd, loadCatalogue, pusdToUsd } from '@costlens/pricing';
import OpenAI, * as openaiModule from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRouterCostPusd, providerOfEndpoint } from '../src/providers/openai-endpoints.js';
import {
  type FakeCompatible,
  OPENROUTER_USAGE,
  routedFetch,
  startFakeCompatible,
  USAGE,
} from './fake-compatible.js';
import { onlySpan, setupTelemetry, type Telemetry, waitForSpans } from './harness.js';

// The openai SDK pointed at other providers with `baseURL`: each call records
// that provider and is priced with its prices.

describe('providerOfEndpoint', () => {
  it('names each provider from the base URL its docs give', () => {
    const cases: [string, string][] = [
      ['https://api.openai.com/v1', 'openai'],
      ['https://api.deepseek.com', 'deepseek'],
      ['https://api.deepseek.com/v1', 'deepseek'],
      ['https://api.groq.com/openai/v1', 'groq'],
      ['https://api.x.ai/v1', 'x_ai'],
      ['https://api.mistral.ai/v1', 'mistral_ai'],
      ['https://api.perplexity.ai', 'perplexity'],
      ['https://api.anthropic.com/v1/', 'anthropic'],
      ['https://api.cohere.ai/compatibility/v1', 'cohere'],
      ['https://api.cohere.com/compatibility/v1', 'cohere'],
      ['https://generativelanguage.googleapis.com/v1beta/openai/', 'gcp.gemini'],
      [
        'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/openapi',
        'gcp.vertex_ai',
      ],
      [
        'https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi',
        'gcp.vertex_ai',
      ],
      ['https://my-resource.openai.azure.com/openai/v1/', 'azure.ai.openai'],
      ['https://my-resource.cognitiveservices.azure.com/openai/v1/', 'azure.ai.openai'],
      ['https://api.together.xyz/v1', 'together_ai'],
      ['https://api.fireworks.ai/inference/v1', 'fireworks_ai'],
      ['https://openrouter.ai/api/v1', 'openrouter'],
      ['https://api.cerebras.ai/v1', 'cerebras'],
      ['https://api.deepinfra.com/v1/openai', 'deepinfra'],
      ['https://api.sambanova.ai/v1', 'sambanova'],
      ['https://api.novita.ai/v3/openai', 'novita'],
      ['https://api.hyperbolic.xyz/v1', 'hyperbolic'],
      ['https://api.moonshot.ai/v1', 'moonshot'],
      ['https://api.moonshot.cn/v1', 'moonshot'],
      ['https://dashscope.aliyuncs.com/compatible-mode/v1', 'dashscope'],
      ['https://dashscope-intl.aliyuncs.com/compatible-mode/v1', 'dashscope'],
      ['https://api.cloudflare.com/client/v4/accounts/abc/ai/v1', 'cloudflare'],
      ['https://ai-gateway.vercel.sh/v1', 'vercel_ai_gateway'],
      ['HTTPS://API.GROQ.COM./openai/v1', 'groq'],
    ];
    expect(cases.map(([url]) => [url, providerOfEndpoint(url)])).toEqual(cases);
  });

  it('names every known provider as the price catalogue does', () => {
    const catalogue = loadCatalogue();
    const names = new Set(
      [
        'https://api.deepseek.com',
        'https://api.groq.com/openai/v1',
        'https://api.x.ai/v1',
        'https://api.mistral.ai/v1',
        'https://api.perplexity.ai',
        'https://api.together.xyz/v1',
        'https://api.fireworks.ai/inference/v1',
        'https://openrouter.ai/api/v1',
        'https://api.cerebras.ai/v1',
        'https://api.deepinfra.com/v1/openai',
        'https://api.sambanova.ai/v1',
        'https://api.novita.ai/v3/openai',
        'https://api.hyperbolic.xyz/v1',
        'https://api.moonshot.ai/v1',
        'https://dashscope.aliyuncs.com/compatible-mode/v1',
        'https://api.cloudflare.com/client/v4/accounts/abc/ai/v1',
        'https://ai-gateway.vercel.sh/v1',
        'https://api.anthropic.com/v1/',
        'https://api.cohere.ai/compatibility/v1',
        'https://generativelanguage.googleapis.com/v1beta/openai/',
        'https://us-central1-aiplatform.googleapis.com/v1',
        'https://r.openai.azure.com/openai/v1/',
      ].map(providerOfEndpoint),
    );
    expect([...names].filter((p) => !catalogue.providers.includes(p))).toEqual([]);
  });

  it('names Ollama from its port, on this machine or another', () => {
    expect(providerOfEndpoint('http://localhost:11434/v1')).toBe('ollama');
    expect(providerOfEndpoint('http://gpu-box.lan:11434/v1')).toBe('ollama');
    expect(providerOfEndpoint('http://ollama:11434/v1')).toBe('ollama');
  });

  it('takes a server with no public name for the OpenAI API it speaks', () => {
    for (const url of [
      'http://localhost:8000/v1', // vLLM's default
      'http://127.0.0.1:1234/v1', // LM Studio's default
      'http://[::1]:8080/v1',
      'http://10.0.0.7:4000', // a LiteLLM proxy
      'http://fake-providers:8080/v1', // a compose service
      'http://llm.internal/v1',
      'http://host.docker.internal:8000/v1',
      'http://inference.local/v1',
    ]) {
      expect([url, providerOfEndpoint(url)]).toEqual([url, 'openai']);
    }
  });

  it('names any other public host by itself', () => {
    expect(providerOfEndpoint('https://llm.example.com/v1')).toBe('llm.example.com');
    expect(providerOfEndpoint('https://gateway.ai.cloudflare.com/v1/a/g/openai')).toBe(
      'gateway.ai.cloudflare.com',
    );
  });

  it('is openai for the default base URL and for what is not a URL', () => {
    expect(providerOfEndpoint(undefined)).toBe('openai');
    expect(providerOfEndpoint('not a url')).toBe('openai');
    expect(providerOfEndpoint(42)).toBe('openai');
  });
});

describe('openRouterCostPusd', () => {
  it('reads the cost OpenRouter charged, in pUSD', () => {
    expect(openRouterCostPusd(OPENROUTER_USAGE)).toBe(219_000_000);
  });
  it('adds what the upstream provider charged when the call used the app’s own key', () => {
    const byok = {
      ...OPENROUTER_USAGE,
      cost: 0.00001,
      is_byok: true,
      cost_details: { upstream_inference_cost: 0.0002 },
    };
    expect(openRouterCostPusd(byok)).toBe(10_000_000 + 200_000_000);
  });
  it('is nothing when the usage carries no cost', () => {
    expect(openRouterCostPusd(USAGE)).toBeUndefined();
    expect(openRouterCostPusd({ ...USAGE, cost: null })).toBeUndefined();
    expect(openRouterCostPusd(null)).toBeUndefined();
  });
});

let server: FakeCompatible;
let t: Telemetry;

beforeAll(async () => {
  server = await startFakeCompatible();
  const priceFile = join(mkdtempSync(join(tmpdir(), 'costlens-compatible-')), 'prices.yaml');
  writeFileSync(
    priceFile,
    [
      'models:',
      '  - provider: ollama',
      '    model: llama3.2',
      '    input: 0.05',
      '    output: 0.1',
      '',
    ].join('\n'),
  );
  // The user's price file gives one local model a price; the catalogue stays as it is.
  t = setupTelemetry({ pricesFile: priceFile }, { openai: openaiModule });
});

afterAll(async () => {
  await t.shutdown();
  await server.close();
});

const catalogue = loadCatalogue();

/** A client of `baseURL` whose requests reach the fake server. */
const clientOf = (baseURL: string) =>
  new OpenAI({ apiKey: 'sk-test-0123456789abcdef', baseURL, fetch: routedFetch(server) });

/** What the catalogue charges `provider` for the fake's usage of `model`, as the span says it. */
function listPrice(provider: string, model: string) {
  const r = catalogue.price({
    provider,
    model,
    input_tokens: 1000,
    output_tokens: 100,
    cache_read_tokens: 200,
  });
  if (r.unpriced) throw new Error(`the catalogue has no price for ${provider} ${model}`);
  expect(r.model.provider).toBe(provider);
  return {
    'costlens.cost.usd': pusdToUsd(r.cost_pusd),
    'gen_ai.usage.cost': pusdToUsd(r.cost_pusd),
    'costlens.cost.breakdown': JSON.stringify(breakdownToUsd(r.breakdown_pusd)),
    'costlens.pricing.source': catalogue.version,
  };
}

const usageAttributes = {
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 100,
  'gen_ai.usage.cache_read.input_tokens': 200,
};

describe('the openai SDK at another provider', () => {
  const providers: [baseURL: string, provider: string, model: string, path: string][] = [
    ['https://api.deepseek.com', 'deepseek', 'deepseek-chat', '/chat/completions'],
    [
      'https://api.groq.com/openai/v1',
      'groq',
      'llama-3.3-70b-versatile',
      '/openai/v1/chat/completions',
    ],
    ['https://api.x.ai/v1', 'x_ai', 'grok-3', '/v1/chat/completions'],
    ['https://api.mistral.ai/v1', 'mistral_ai', 'mistral-large-latest', '/v1/chat/completions'],
    [
      'https://api.together.xyz/v1',
      'together_ai',
      'meta-llama/Llama-3.3-70B-Instruct-Turbo',
      '/v1/chat/completions',
    ],
    [
      'https://api.fireworks.ai/inference/v1',
      'fireworks_ai',
      'accounts/fireworks/models/llama-v3p1-8b-instruct',
      '/inference/v1/chat/completions',
    ],
    [
      'https://openrouter.ai/api/v1',
      'openrouter',
      'openai/gpt-4o-mini',
      '/api/v1/chat/completions',
    ],
    [
      'https://generativelanguage.googleapis.com/v1beta/openai/',
      'gcp.gemini',
      'gemini-2.5-flash',
      '/v1beta/openai/chat/completions',
    ],
  ];

  it.each(providers)('%s records %s and its price', async (baseURL, provider, model, path) => {
    t.reset();
    const before = server.requests.length;
    const out = await clientOf(baseURL).chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(out.choices[0]!.message.content).toBe('Hello!');
    expect(server.requests.slice(before).map((r) => r.path)).toEqual([path]);
    const span = onlySpan(t);
    expect(span.name).toBe(`chat ${model}`);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': model,
      'server.address': new URL(baseURL).hostname,
      'server.port': 443,
      'gen_ai.response.model': model,
      'gen_ai.response.id': 'gen-1733-compat',
      'gen_ai.response.finish_reasons': ['stop'],
      ...usageAttributes,
      ...listPrice(provider, model),
    });
  });

  /** What OpenRouter said it charged (OPENROUTER_USAGE.cost), as the span says it. */
  const openRouterCost = {
    'costlens.cost.usd': 0.000219,
    'gen_ai.usage.cost': 0.000219,
    'costlens.pricing.source': 'provider',
  };

  it('an OpenRouter completion costs what OpenRouter says it charged', async () => {
    t.reset();
    server.usage = OPENROUTER_USAGE;
    try {
      await clientOf('https://openrouter.ai/api/v1').chat.completions.create({
        model: 'anthropic/claude-3.5-sonnet',
        messages: [{ role: 'user', content: 'Hi' }],
      });
    } finally {
      server.usage = USAGE;
    }
    const a = onlySpan(t).attributes;
    // Not the catalogue's list price: OpenRouter's own figure, with no breakdown.
    expect(listPrice('openrouter', 'anthropic/claude-3.5-sonnet')['costlens.cost.usd']).not.toBe(
      0.000219,
    );
    expect(a).toMatchObject({ ...usageAttributes, ...openRouterCost });
    expect(a['costlens.cost.breakdown']).toBeUndefined();
    // The cost counter adds the same figure (the first call of this provider and model).
    const points = (await t.metrics())
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      .filter((m) => m.descriptor.name === 'costlens.client.cost')
      .flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[])
      .filter((p) => p.attributes['gen_ai.request.model'] === 'anthropic/claude-3.5-sonnet');
    expect(points.map((p) => p.value)).toEqual([0.000219]);
  });

  it('an OpenRouter stream costs what its usage chunk says was charged', async () => {
    t.reset();
    server.usage = OPENROUTER_USAGE;
    try {
      const stream = await clientOf('https://openrouter.ai/api/v1').chat.completions.create({
        model: 'anthropic/claude-3.5-sonnet',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('Hello!');
    } finally {
      server.usage = USAGE;
    }
    const [span] = await waitForSpans(t, 1);
    const { 'gen_ai.response.time_to_first_chunk': ttfc, ...rest } = span!.attributes;
    expect(ttfc).toBeGreaterThan(0);
    expect(rest).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openrouter',
      'gen_ai.request.model': 'anthropic/claude-3.5-sonnet',
      'gen_ai.request.stream': true,
      'server.address': 'openrouter.ai',
      'server.port': 443,
      'gen_ai.response.model': 'anthropic/claude-3.5-sonnet',
      'gen_ai.response.id': 'gen-1733-stream',
      'gen_ai.response.finish_reasons': ['stop'],
      ...usageAttributes,
      ...openRouterCost,
    });
  });

  it('an OpenRouter answer without a cost is priced with OpenRouter’s list price', async () => {
    t.reset();
    const stream = await clientOf('https://openrouter.ai/api/v1').chat.completions.create({
      model: 'anthropic/claude-3.5-sonnet',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    for await (const _ of stream);
    const [span] = await waitForSpans(t, 1);
    expect(span!.attributes).toMatchObject(listPrice('openrouter', 'anthropic/claude-3.5-sonnet'));
  });

  it('a cost in the usage of another provider is not taken for what was charged', async () => {
    t.reset();
    server.usage = OPENROUTER_USAGE;
    try {
      await clientOf('https://api.together.xyz/v1').chat.completions.create({
        model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
        messages: [],
      });
    } finally {
      server.usage = USAGE;
    }
    expect(onlySpan(t).attributes).toMatchObject(
      listPrice('together_ai', 'meta-llama/Llama-3.3-70B-Instruct-Turbo'),
    );
  });

  it('prices an OpenAI model behind an unknown public gateway at OpenAI’s price', async () => {
    t.reset();
    await clientOf('https://llm.example.com/v1').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
    });
    const a = onlySpan(t).attributes;
    expect(a['gen_ai.provider.name']).toBe('llm.example.com');
    expect(a['costlens.cost.usd']).toBe(listPrice('openai', 'gpt-4o-mini')['costlens.cost.usd']);
  });
});

describe('a local server', () => {
  const ask = (baseURL: string, model: string) =>
    clientOf(baseURL).chat.completions.create({ model, messages: [] });

  it('Ollama is recorded as ollama, and a model the catalogue lacks is unpriced', async () => {
    t.reset();
    await ask('http://localhost:11434/v1', 'qwen3:8b');
    expect(onlySpan(t).attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'ollama',
      'gen_ai.request.model': 'qwen3:8b',
      'server.address': 'localhost',
      'server.port': 11434,
      'gen_ai.response.model': 'qwen3:8b',
      'gen_ai.response.id': 'gen-1733-compat',
      'gen_ai.response.finish_reasons': ['stop'],
      ...usageAttributes,
      'costlens.cost.unpriced': true,
      'costlens.cost.unpriced_reason': `unknown model "qwen3:8b" for provider ollama in catalogue ${catalogue.version} (tried qwen3:8b); add it with a price override file`,
    });
  });

  it('a vLLM or LM Studio server is recorded with its address, unpriced', async () => {
    t.reset();
    await ask('http://localhost:8000/v1', 'meta-llama/Llama-3.1-8B-Instruct');
    const a = onlySpan(t).attributes;
    expect([a['gen_ai.provider.name'], a['server.address'], a['server.port']]).toEqual([
      'openai',
      'localhost',
      8000,
    ]);
    expect(a['costlens.cost.unpriced']).toBe(true);
    expect(a['costlens.cost.usd']).toBeUndefined();
  });

  it('the price file prices a local model', async () => {
    t.reset();
    await ask('http://localhost:11434/v1', 'llama3.2');
    const a = onlySpan(t).attributes;
    expect(a['gen_ai.provider.name']).toBe('ollama');
    // 1000 input at $0.05 / 1M, 100 output at $0.10 / 1M
    expect(a['costlens.cost.usd']).toBe(pusdToUsd(1000 * 50_000 + 100 * 100_000));
    expect(a['costlens.pricing.source']).toBe('override');
  });
});
