import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  APP_OUTPUT,
  appCalls,
  REGISTER_URL,
  type RecordingCollector,
  runNode,
  startRecordingCollector,
  useRegisterTestbed,
} from './register-testbed.js';

// The one import's settings from the environment: malformed values fall back to the
// defaults and say so, and a sampler that drops spans never drops an AI call's.

const bed = useRegisterTestbed();
const { appEnv } = bed;

describe('malformed settings', () => {
  it('an app started with malformed COSTLENS_* and OTEL_* variables runs and exits 0, recorded with the defaults, and diag says so', async ({
    expect,
  }) => {
    const service = 'malformed-env';
    const run = await runNode(
      ['--import', REGISTER_URL, 'register-app.mjs'],
      appEnv(service, 'malformed', {
        COSTLENS_MAX_CONTENT_CHARS: 'abc',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'yes',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: 'half',
        OTEL_LOG_LEVEL: 'warn',
      }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(APP_OUTPUT);
    const said = run.stderr.split('\n').filter((line) => line.startsWith('costlens:'));
    expect(said).toEqual([
      'costlens: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is "yes", not true or false; using the default, false',
      'costlens: COSTLENS_MAX_CONTENT_CHARS is "abc", not a whole number above 0; using the default, 1000',
      'costlens: OTEL_TRACES_SAMPLER_ARG is "half", not a number from 0 to 1; using the default, 1',
    ]);
    expect(bed.collector.rows(service)).toEqual(appCalls(service, 'malformed'));
  });
});

describe('OTEL_TRACES_SAMPLER', () => {
  let own: RecordingCollector;
  beforeAll(async () => {
    own = await startRecordingCollector();
  });
  afterAll(async () => {
    await own?.close();
  });

  it('always_off still sends every AI span, and drops the rest', async ({ expect }) => {
    const run = async (sampler: string) =>
      runNode(['--import', REGISTER_URL, 'register-app.mjs'], {
        ...appEnv(`sampled-${sampler}`, 'sampling', { APP_PLAIN_SPAN: '1' }),
        OTEL_EXPORTER_OTLP_ENDPOINT: own.url,
        OTEL_TRACES_SAMPLER: sampler,
      });
    expect((await run('always_off')).code).toBe(0);
    expect(own.rows('sampled-always_off')).toHaveLength(3);
    expect(await own.metric('costlens_ingest_spans_total', { result: 'not_genai' })).toBe(0);
    // The same app sampled as usual: its plain span does reach the collector.
    expect((await run('always_on')).code).toBe(0);
    expect(own.rows('sampled-always_on')).toHaveLength(3);
    expect(await own.metric('costlens_ingest_spans_total', { result: 'not_genai' })).toBe(1);
  });
});
