import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../service/config.js';
import { buildParts, closeParts } from '../service/parts.js';
import { createCollectorServer } from '../service/server.js';
import { type Child, checkTrafficApp, listeningUrl, spawnNode } from './demo-children.js';
import { DEFAULT_DURATION_S, DEFAULT_RATE, demoBudgets, parseDemoArgs } from './demo-options.js';
import {
  type BudgetState,
  clock,
  crossings,
  readStatus,
  type Summary,
  span,
  statusLine,
  summaryLines,
} from './demo-status.js';
import { EXIT, type Io, UsageError } from './io.js';
import { Progress, type ProgressStream } from './progress.js';

export const DEMO_HELP = `costlens demo: the collector, a stand-in provider server and a sample app, together

Usage: costlens demo [--duration 3m] [--rate ${DEFAULT_RATE}] [--port 4318] [--keep] [--db FILE]

Runs the collector on 127.0.0.1, a local server that answers as OpenAI, Anthropic and
Google do, and examples/traffic/app.mjs through the one import: chat and streams on the
three providers and the Vercel AI SDK, embeddings, images of several sizes, videos with
and without audio, failures and retries, for four projects and seven users, with two
budgets that cross their thresholds while it runs. No key, no network, no money.
It prints where to look (the usage page, /metrics, the JSON API), a live status line on
a terminal, and a summary at the end; Ctrl-C stops all three and exits 0.

Options:
  --duration TIME  how long the app makes calls: 30s, 5m, 1h (default ${span(DEFAULT_DURATION_S)})
  --rate N         calls started per second (default ${DEFAULT_RATE})
  --port N         the collector's port (default 4318; 0: any free port)
  --keep           keep the database (in a temporary directory) and print its path
  --db FILE        use and keep this database instead (the demo adds its calls to it)

Needs a checkout with the instrumentation built and the sample app's SDKs (openai,
@anthropic-ai/sdk, @google/genai, ai: dev dependencies): bash scripts/install.sh does both.
COSTLENS_* settings are not read: the demo's collector is its own.
`;

/** How long the app gets to finish its calls and send its spans (its flush takes 5 s at most). */
const APP_STOP_MS = 15_000;

/** Runs the demo; resolves when all three have stopped, with the exit status. */
export async function demoCommand(args: string[], io: Io): Promise<number> {
  const o = parseDemoArgs(args);
  const { app, fakeServer } = checkTrafficApp();
  const tempDir = o.db === undefined ? mkdtempSync(join(tmpdir(), 'costlens-demo-')) : undefined;
  const db = o.db ?? join(tempDir!, 'costlens.db');
  const removeTemp = () => {
    if (tempDir !== undefined && !o.keep) rmSync(tempDir, { recursive: true, force: true });
  };
  let parts: ReturnType<typeof buildParts>;
  try {
    const budgets = demoBudgets(o.rate, o.durationS);
    const config = loadConfig({ flags: { host: '127.0.0.1', db, budgets } });
    parts = buildParts(config);
  } catch (err) {
    removeTemp();
    if (err instanceof ConfigError) throw new UsageError(`demo: ${err.message}.`);
    if ((err as { code?: string }).code?.startsWith('SQLITE'))
      throw new UsageError(`demo: cannot open the database ${db}: ${(err as Error).message}.`);
    throw err;
  }
  const server = createCollectorServer(parts).listen(o.port, '127.0.0.1');
  const failed = await new Promise<Error | null>((resolve) => {
    server.once('listening', () => resolve(null));
    server.once('error', resolve);
  });
  if (failed) {
    await closeParts(parts);
    removeTemp();
    const inUse = (failed as { code?: string }).code === 'EADDRINUSE';
    io.stderr.write(
      `costlens: demo: cannot listen on 127.0.0.1:${o.port}: ${failed.message}${inUse ? ' (a collector already running?); use --port 0 for any free port' : ''}.\n`,
    );
    return EXIT.failed;
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const out = (s: string) => io.stdout.write(s);
  const progress = new Progress(io.stdout as ProgressStream, { verb: '', unit: '' });
  /** A line above the status line, which the next tick redraws. */
  const say = (line: string) => {
    progress.done();
    out(`${line}\n`);
  };

  out(`costlens collector listening on ${url} (database ${db})\n`);
  const children: Child[] = [];
  let fakeOutput = '';
  let appReport = '';
  const fake = spawnNode(
    'stand-in provider server',
    [fakeServer],
    {
      ...ownEnv(io.env),
      FAKE_PROVIDERS_HOST: '127.0.0.1',
      FAKE_PROVIDERS_PORT: '0',
      FAKE_PROVIDERS_STOP_ON_STDIN_END: '1',
    },
    (line) => {
      fakeOutput += `${line}\n`;
    },
  );
  children.push(fake);

  let stopReason: string | undefined;
  let stopRequested: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  /** A signal, or the app being overdue: the first stops everything in order, a second kills the children. */
  const onSignal = (signal: string) => {
    if (stopReason !== undefined) {
      // Asked twice: no more waiting for anyone.
      for (const c of children) if (c.running()) c.child.kill('SIGKILL');
      return;
    }
    stopReason = signal;
    stopRequested();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);

  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let appStarted: number | undefined;
  let last: { summary: Summary; budgets: BudgetState[] } | undefined;
  const seen = new Map<string, Set<number>>();
  let ticking = false;
  /** Set once the final figures are read: a late tick draws nothing after them. */
  let finished = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    const now = await readStatus(url);
    ticking = false;
    if (now === undefined || finished) return;
    last = now;
    for (const line of crossings(now.budgets, seen)) say(line);
    const appElapsed =
      appStarted === undefined ? undefined : (performance.now() - appStarted) / 1000;
    progress.say(statusLine(appElapsed, o.durationS, now.summary));
  };
  let ticker: NodeJS.Timeout | undefined;
  let code: number = EXIT.ok;
  try {
    const fakeUrl = await Promise.race([
      listeningUrl(fake, () => fakeOutput, 15_000),
      stopped.then(() => undefined),
    ]);
    if (fakeUrl === undefined) throw new Stopped();
    const appChild = spawnNode(
      'sample app',
      ['--import', '@costlens/instrumentation/register', app],
      {
        ...ownEnv(io.env),
        OTEL_SERVICE_NAME: 'demo',
        OTEL_EXPORTER_OTLP_ENDPOINT: url,
        // Spans leave every half second, so the page shows a call about a second after it ends.
        OTEL_BSP_SCHEDULE_DELAY: '500',
        FAKE_PROVIDERS_URL: fakeUrl,
        TRAFFIC_CALLS_PER_SECOND: String(o.rate),
        TRAFFIC_DURATION_SECONDS: String(o.durationS),
        TRAFFIC_STOP_ON_STDIN_END: '1',
      },
      (line, stream) => {
        if (stream === 'stdout') {
          // Its first line says it has started making calls: the clock of --duration starts.
          appStarted ??= performance.now();
          if (/ calls, /.test(line)) appReport = line;
        } else if (line.trim() !== '') say(`sample app: ${line}`);
      },
    );
    children.push(appChild);
    out(whereToLook(url, fakeUrl, db, o));
    ticker = setInterval(() => void tick(), 1000);
    ticker.unref();
    // The app ends by itself after --duration; a stuck one is stopped a minute later.
    const overdue = setTimeout(
      () => onSignal('the sample app is overdue'),
      (o.durationS + 60) * 1000,
    );
    overdue.unref();
    const ended = await Promise.race([appChild.exited.then((c) => ({ c })), stopped]);
    clearTimeout(overdue);
    if (ended === undefined) {
      say(
        `${stopReason}: stopping (the sample app finishes its calls and sends its last spans; Ctrl-C again to kill it)`,
      );
    } else if (ended.c !== 0) {
      say(`the sample app exited with status ${ended.c}`);
      code = EXIT.failed;
    }
    const appCode = await appChild.stop(APP_STOP_MS);
    if (ended === undefined && appCode !== 0 && appCode !== null) code = EXIT.failed;
  } catch (err) {
    if (!(err instanceof Stopped)) {
      say(`costlens: ${(err as Error).message}`);
      code = EXIT.failed;
    }
  } finally {
    clearInterval(ticker);
    await Promise.all(children.map((c) => c.stop(5_000)));
    for (const s of signals) process.off(s, onSignal);
  }
  // The app has sent its last spans: the final figures include them.
  const final = (await readStatus(url)) ?? last;
  if (final) for (const line of crossings(final.budgets, seen)) say(line);
  finished = true;
  progress.done();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await closeParts(parts);
  removeTemp();
  const how = stopReason === undefined ? 'done after' : `stopped (${stopReason}) after`;
  out(
    [
      '',
      `costlens demo: ${how} ${clock(elapsed())}`,
      ...(appReport
        ? [`  ${appReport.replace(/^demo traffic: (\d+) calls, /, 'the app made $1 calls: ')}`]
        : []),
      ...summaryLines(final?.summary, final?.budgets ?? []),
      o.keep
        ? `  the data is kept in ${db}\n  see it again with: costlens start --db ${db}`
        : '  the data was in a temporary directory, now deleted; --keep keeps it',
      '',
    ].join('\n'),
  );
  return code;
}

/** Stopped before the app started. */
class Stopped extends Error {}

/** The environment without the settings of another collector or app: the demo sets its own. */
function ownEnv(env: Io['env']): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([k]) => !/^(OTEL_|COSTLENS_|TRAFFIC_|FAKE_PROVIDERS_)/.test(k)),
  );
}

function whereToLook(
  url: string,
  fakeUrl: string,
  db: string,
  o: { rate: number; durationS: number; keep: boolean },
): string {
  return `
A sample app makes ${o.rate} AI calls a second for ${span(o.durationS)} through the one import, to a
stand-in provider server at ${fakeUrl}: no key, no network, no money.

  usage page   ${url}/
  metrics      ${url}/metrics
  JSON API     ${url}/api/v1/summary   (also /breakdown?by=project, /calls)
  budgets      ${url}/api/v1/budgets   (two, sized to cross 50%, 80% and 100% while it runs)
  database     ${db}${o.keep ? '' : ' (deleted at the end; --keep keeps it)'}
  Grafana      docker compose up --build   (Prometheus and the dashboards; see the README)

Ctrl-C stops it.

`;
}
