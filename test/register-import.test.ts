import { describe, it } from 'vitest';
import {
  APP_OUTPUT,
  appCalls,
  chat,
  REGISTER_URL,
  runNode,
  useRegisterTestbed,
} from './register-testbed.js';

// How an app loads the one import, run as users run it: `node --import
// @costlens/instrumentation/register`, as the entry's first line, imported more than
// once, or beside an app's own NodeSDK; every call recorded once, priced and attributed.

const bed = useRegisterTestbed();
const { appEnv } = bed;

describe.concurrent('node --import @costlens/instrumentation/register', () => {
  it.for([
    ['an ES module app', 'esm-import', 'register-app.mjs'],
    ['a CommonJS app', 'cjs-import', 'register-app.cjs'],
  ])(
    'records every call of %s, once, priced and attributed',
    async ([, service, app], { expect }) => {
      const project = `${service}-project`;
      const run = await runNode(['--import', REGISTER_URL, app!], appEnv(service!, project));
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toEqual(APP_OUTPUT);
      expect(bed.collector.rows(service!)).toEqual(appCalls(service!, project));
      const labels = { provider: 'openai', project, status: 'success' };
      expect(
        await bed.collector.metric('costlens_calls_total', { ...labels, call_type: 'text' }),
      ).toBe(2);
      expect(
        await bed.collector.metric('costlens_calls_total', { ...labels, call_type: 'embedding' }),
      ).toBe(1);
      expect(await bed.collector.metric('costlens_cost_usd_total', { project })).toBeCloseTo(
        2 * 0.000195 + 0.00000016,
        12,
      );
      expect(
        await bed.collector.metric('costlens_tokens_total', { project, token_type: 'input' }),
      ).toBe(2 * 1000 + 8);
    },
  );

  it('records a streamed chat with its usage, which the app did not ask for and does not see', async ({
    expect,
  }) => {
    const service = 'esm-stream';
    const run = await runNode(
      ['--import', REGISTER_URL, 'register-app.mjs'],
      appEnv(service, 'streams', { APP_STREAM: '1' }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ...APP_OUTPUT, stream: 'Hello' });
    const rows = bed.collector.rows(service);
    expect(rows).toHaveLength(4);
    const streamed = rows[3]!;
    expect(streamed.ttft_ms).toBeGreaterThan(0);
    expect({ ...streamed, ttft_ms: null }).toEqual(chat(service, 'streams'));
  });
});

describe('an app with its own NodeSDK', () => {
  it('adds CostlensInstrumentation and gets the same records, its sampler kept for the rest', async ({
    expect,
  }) => {
    const service = 'own-sdk';
    const run = await runNode(['own-sdk-app.cjs'], appEnv(service, 'ignored-env-project'));
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout.trim() }).toEqual({
      code: 0,
      stderr: '',
      stdout: 'done',
    });
    // The project given to the constructor wins over COSTLENS_PROJECT.
    expect(bed.collector.rows(service)).toEqual([
      chat(service, 'own-sdk-project'),
      chat(service, 'own-sdk-project'),
    ]);
  });
});

describe.concurrent('the one import as the first line of the entry file', () => {
  it.for([
    ['an ES module entry', 'esm-first', 'register-first.mjs'],
    ['a CommonJS entry', 'cjs-first', 'register-first.cjs'],
  ])('records every call of %s', async ([, service, entry], { expect }) => {
    const run = await runNode([entry!], appEnv(service!, 'first-line'));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(bed.collector.rows(service!)).toEqual(appCalls(service!, 'first-line'));
  });

  it('starts once when imported three times (twice as one module, once as a second copy)', async ({
    expect,
  }) => {
    const service = 'imported-thrice';
    const run = await runNode(
      ['--import', REGISTER_URL, '--import', `${REGISTER_URL}?copy=2`, 'register-first.mjs'],
      appEnv(service, 'idempotent'),
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(bed.collector.rows(service)).toEqual(appCalls(service, 'idempotent'));
  });
});
