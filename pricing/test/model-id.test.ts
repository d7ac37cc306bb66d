import { describe, expect, it } from 'vitest';
import { convertLitellm } from '../src/build/litellm.js';
import { candidateNames, providerChain, stripRouting } from '../src/model-id.js';

describe('candidateNames', () => {
  it.each([
    ['gpt-4o', ['gpt-4o']],
    ['GPT-4o-2024-08-06', ['gpt-4o-2024-08-06', 'gpt-4o']],
    ['models/gemini-2.5-pro', ['models/gemini-2.5-pro', 'gemini-2.5-pro']],
    ['gemini/gemini-2.5-flash', ['gemini/gemini-2.5-flash', 'gemini-2.5-flash']],
    ['vertex_ai/gemini-2.5-pro', ['vertex_ai/gemini-2.5-pro', 'gemini-2.5-pro']],
    [
      'projects/p1/locations/us-central1/publishers/google/models/gemini-2.0-flash-001',
      [
        'projects/p1/locations/us-central1/publishers/google/models/gemini-2.0-flash-001',
        'gemini-2.0-flash-001',
        'gemini-2.0-flash',
      ],
    ],
    ['claude-3-5-sonnet-20241022', ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet']],
    ['claude-3-5-sonnet-v2@20241022', ['claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet-v2']],
    ['claude-3-5-haiku-latest', ['claude-3-5-haiku-latest', 'claude-3-5-haiku']],
    [
      'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
      ['us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'anthropic.claude-3-5-sonnet-20241022-v2:0'],
    ],
    [
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6',
      [
        'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6',
        'us.anthropic.claude-sonnet-4-6',
        'anthropic.claude-sonnet-4-6',
      ],
    ],
    [
      'arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0',
      [
        'arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0',
        'meta.llama3-1-8b-instruct-v1:0',
      ],
    ],
    // An application inference profile names no model: nothing to look up but the ARN.
    [
      'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3',
      ['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3'],
    ],
    ['@cf/meta/llama-3.1-8b-instruct', ['@cf/meta/llama-3.1-8b-instruct']],
  ])('%s -> %j', (model, expected) => {
    expect(candidateNames(model)).toEqual(expected);
  });

  it('never shortens a name to a prefix of another model', () => {
    // gpt-4o-mini must not become gpt-4o: only date-shaped suffixes are removed.
    expect(candidateNames('gpt-4o-mini')).toEqual(['gpt-4o-mini']);
    expect(candidateNames('claude-opus-4-1')).toEqual(['claude-opus-4-1']);
  });
});

describe('stripRouting', () => {
  it('removes stacked routing prefixes but keeps the model', () => {
    expect(stripRouting('openai/gpt-4o')).toBe('gpt-4o');
    expect(stripRouting('vertex_ai/google/gemini-2.5-pro')).toBe('gemini-2.5-pro');
    expect(stripRouting('publishers/google/models/gemini-2.0-flash-001')).toBe(
      'gemini-2.0-flash-001',
    );
    expect(stripRouting('models/')).toBe('models/');
  });

  it('stops at the first segment that is not a route', () => {
    expect(stripRouting('groq/llama-3.1-8b-instant')).toBe('groq/llama-3.1-8b-instant');
    expect(stripRouting('@cf/meta/llama-3.1-8b-instruct')).toBe('@cf/meta/llama-3.1-8b-instruct');
    expect(stripRouting('meta/openai/x')).toBe('meta/openai/x');
  });

  it('takes the routes from the caller, and removes each route once', () => {
    const openrouter = (s: string) => s === 'openrouter';
    expect(stripRouting('openrouter/anthropic/claude-3-haiku', openrouter)).toBe(
      'anthropic/claude-3-haiku',
    );
    // OpenRouter's own "auto" model is openrouter/auto: the second openrouter is the model's.
    expect(stripRouting('openrouter/openrouter/auto', openrouter)).toBe('openrouter/auto');
    expect(stripRouting('openai/openai/gpt-4o')).toBe('openai/gpt-4o');
  });

  it('is the rule the LiteLLM conversion strips its keys with', () => {
    const entry = (litellm_provider: string) => ({
      litellm_provider,
      mode: 'chat',
      input_cost_per_token: 1e-6,
    });
    const { models } = convertLitellm({
      'gemini/gemini-2.5-pro': entry('gemini'),
      'openrouter/openrouter/auto': entry('openrouter'),
      'openrouter/openai/gpt-4o': entry('openrouter'),
      'vertex_ai/openai/gpt-oss-20b-maas': entry('vertex_ai-openai_models'),
      'bedrock/us-east-1/anthropic.claude-v2': entry('bedrock_converse'),
      'azure/gpt-35-turbo-instruct': entry('azure_text'),
      'Groq/Llama-3.1-8B-Instant': entry('groq'),
    });
    expect(models.map((m) => `${m.provider} ${m.id}`)).toEqual([
      'gcp.gemini gemini-2.5-pro',
      'openrouter openrouter/auto',
      'openrouter openai/gpt-4o',
      'gcp.vertex_ai openai/gpt-oss-20b-maas',
      'aws.bedrock us-east-1/anthropic.claude-v2',
      'azure_text azure/gpt-35-turbo-instruct',
      'groq llama-3.1-8b-instant',
    ]);
  });
});

describe('providerChain', () => {
  const known = ['openai', 'anthropic', 'gcp.gemini', 'gcp.vertex_ai', 'azure.ai.openai', 'groq'];
  it('keeps to the named provider and its family', () => {
    expect(providerChain('openai', known)).toEqual(['openai']);
    expect(providerChain('gcp.vertex_ai', known)).toEqual(['gcp.vertex_ai', 'gcp.gemini']);
    expect(providerChain('azure.ai.openai', known)).toEqual(['azure.ai.openai', 'openai']);
    expect(providerChain('Google', known)).toEqual(['gcp.gemini', 'gcp.vertex_ai']);
  });
  it('searches first parties first when the provider is absent or unknown', () => {
    expect(providerChain(undefined, known)).toEqual([
      'openai',
      'anthropic',
      'gcp.gemini',
      'gcp.vertex_ai',
      'azure.ai.openai',
      'groq',
    ]);
    expect(providerChain('my-proxy', known)[0]).toBe('openai');
  });
});
