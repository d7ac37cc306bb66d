import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { runNode, useRegisterTestbed } from './register-testbed.js';

// The all-providers example as its README runs it, with the one import, in --fake
// mode (its own local provider servers), sending to the real `costlens start`.

const EXAMPLE = fileURLToPath(new URL('../examples/all-providers/', import.meta.url));

const bed = useRegisterTestbed();

describe('examples/all-providers', () => {
  it('in --fake mode sends the calls of all three SDKs, the Vercel AI SDK and track(), attributed', async ({
    expect,
  }) => {
    const run = await runNode(
      ['--import', '@costlens/instrumentation/register', 'app.mjs', '--fake'],
      { OTEL_SERVICE_NAME: 'demo', OTEL_EXPORTER_OTLP_ENDPOINT: bed.collector.url },
      { cwd: EXAMPLE },
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout.split('\n').map((line) => line.split(' ')[0])).toEqual([
      'openai',
      'openai',
      'anthropic',
      'google',
      'vercel-ai',
      'cloudflare',
      '',
    ]);
    const rows = bed.collector.db
      .prepare(
        `SELECT project, user, provider, request_model, input_tokens, output_tokens, status, cost_pusd
         FROM call_records WHERE service = 'demo' ORDER BY started_at`,
      )
      .all();
    const alice = { project: 'support-bot', user: 'alice', status: 'success' };
    const bob = { project: 'research', user: 'bob', status: 'success' };
    expect(rows).toEqual([
      // 1000 in at $0.15/M + 100 out at $0.60/M, plain then streamed
      ...[1, 2].map(() => ({
        ...alice,
        provider: 'openai',
        request_model: 'gpt-4o-mini',
        input_tokens: 1000,
        output_tokens: 100,
        cost_pusd: 210_000_000,
      })),
      {
        ...alice,
        provider: 'anthropic',
        request_model: 'claude-haiku-4-5',
        input_tokens: 1000,
        output_tokens: 200,
        cost_pusd: 2_000_000_000, // $1/M in, $5/M out
      },
      {
        ...bob,
        provider: 'gcp.gemini',
        request_model: 'gemini-2.5-flash',
        input_tokens: 1000,
        output_tokens: 200,
        cost_pusd: 800_000_000, // $0.30/M in, $2.50/M out
      },
      {
        // The Vercel AI SDK through @ai-sdk/openai: priced as OpenAI's model.
        ...bob,
        provider: 'openai',
        request_model: 'gpt-4o-mini',
        input_tokens: 1000,
        output_tokens: 100,
        cost_pusd: 210_000_000,
      },
      {
        ...bob,
        provider: 'cloudflare',
        request_model: '@cf/meta/llama-3.1-8b-instruct',
        input_tokens: 1000,
        output_tokens: 100,
        cost_pusd: 364_349_700, // $0.281688/M in, $0.826617/M out
      },
    ]);
  });
});
