import { describe, it } from 'vitest';
import { freePort } from './collector-process.js';
import {
  APP_OUTPUT,
  REGISTER_URL,
  runNode,
  startSilentServer,
  useRegisterTestbed,
} from './register-testbed.js';

// How an app with the one import ends: it flushes its telemetry when it runs out of
// work or is signalled, and with its collector down or silent it still exits within
// register's shutdown budget, saying what was not delivered.

const bed = useRegisterTestbed();
const { appEnv } = bed;

describe.concurrent('flushing at the end', () => {
  // A 60 s batch delay: spans that arrive were flushed when the app ended, not by the timer.
  const LATE = { OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_METRIC_EXPORT_INTERVAL: '60000' };

  it('an app that simply runs out of work exits by itself, its spans sent', async ({ expect }) => {
    const service = 'runs-out';
    const run = await runNode(
      ['--import', REGISTER_URL, 'register-app.mjs'],
      appEnv(service, 'flush', LATE),
    );
    expect(run.code).toBe(0);
    expect(run.msAfterOutput).toBeLessThan(5_000);
    expect(bed.collector.rows(service)).toHaveLength(3);
  });

  it.for(['SIGTERM', 'SIGINT'] as const)(
    'a running app sent %s flushes, then ends as the signal would have',
    async (signal, { expect }) => {
      const service = `signalled-${signal}`;
      const run = await runNode(
        ['--import', REGISTER_URL, 'register-app.mjs'],
        appEnv(service, 'flush', { ...LATE, APP_WAIT: '1' }),
        { signal },
      );
      expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({
        code: null,
        signal,
        stderr: '',
      });
      expect(run.msAfterSignal).toBeLessThan(5_000);
      expect(bed.collector.rows(service)).toHaveLength(3);
    },
  );
});

describe.concurrent('a collector that is down', () => {
  // register's shutdown budget: from the moment the app would end, telemetry gets 5 s.
  // The margin covers a busy machine; the bug this guards against took 12 to 15 s, or
  // never ended while metric exports kept failing.
  const BUDGET_AND_MARGIN = 6_500;
  // Exports in flight when the app ends: each span is sent 100 ms after it ends and the
  // metrics every second, while the app still has calls to make.
  const IN_FLIGHT = {
    APP_PAUSE_MS: '300',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
  };
  /** The one line register says of what it could not send: the 3 spans of register-app. */
  const notDelivered = (endpoint: string, reason: string) =>
    new RegExp(
      `^costlens: 3 spans and \\d+ metric points not delivered to ${endpoint.replaceAll('.', '\\.')} \\(${reason}\\); is the collector running\\?$`,
    );
  const lines = (stderr: string) => stderr.split('\n').filter((line) => line !== '');

  it.for([
    ['nothing is being sent', {}],
    ['exports are in flight', IN_FLIGHT],
  ] as const)(
    'refusing connections: the calls succeed, the app exits 0 within the budget and says what was not delivered (%s)',
    async ([, extra], { expect }) => {
      const endpoint = `http://127.0.0.1:${await freePort()}`;
      const run = await runNode(
        ['--import', REGISTER_URL, 'register-app.mjs'],
        { ...appEnv('unreachable', 'nowhere', extra), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
        { timeoutMs: 30_000 },
      );
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
      expect(JSON.parse(run.stdout)).toEqual(APP_OUTPUT);
      expect(run.msAfterOutput).toBeLessThan(BUDGET_AND_MARGIN);
      expect(lines(run.stderr)).toEqual([
        expect.stringMatching(notDelivered(endpoint, 'connect ECONNREFUSED')),
      ]);
    },
  );

  it('accepting connections and never answering: the app exits 0 within the budget and says so', async ({
    expect,
  }) => {
    const silent = await startSilentServer();
    try {
      const run = await runNode(
        ['--import', REGISTER_URL, 'register-app.mjs'],
        { ...appEnv('unanswered', 'nowhere', IN_FLIGHT), OTEL_EXPORTER_OTLP_ENDPOINT: silent.url },
        { timeoutMs: 30_000 },
      );
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
      expect(JSON.parse(run.stdout)).toEqual(APP_OUTPUT);
      expect(run.msAfterOutput).toBeLessThan(BUDGET_AND_MARGIN);
      expect(lines(run.stderr)).toEqual([
        expect.stringMatching(notDelivered(silent.url, 'no answer')),
      ]);
      expect(silent.connections()).toBeGreaterThan(0);
    } finally {
      silent.close();
    }
  });

  it('sent SIGTERM while exports are in flight, the app ends as the signal would within the budget', async ({
    expect,
  }) => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const run = await runNode(
      ['--import', REGISTER_URL, 'register-app.mjs'],
      {
        ...appEnv('signalled-down', 'nowhere', { ...IN_FLIGHT, APP_WAIT: '1' }),
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      },
      { signal: 'SIGTERM', timeoutMs: 30_000 },
    );
    expect({ code: run.code, signal: run.signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(run.msAfterSignal).toBeLessThan(BUDGET_AND_MARGIN);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(notDelivered(endpoint, 'connect ECONNREFUSED')),
    ]);
  });
});
