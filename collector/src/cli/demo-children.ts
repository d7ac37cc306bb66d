import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** examples/traffic of the checkout this command runs from (collector/src/cli or collector/dist/cli). */
export const TRAFFIC_DIR = fileURLToPath(new URL('../../../examples/traffic/', import.meta.url));

/**
 * The sample app and what it needs, or an error that says how to get it: the demo
 * runs from a checkout, with the instrumentation built and the SDKs installed.
 */
export function checkTrafficApp(): { app: string; fakeServer: string } {
  const app = `${TRAFFIC_DIR}app.mjs`;
  const fakeServer = `${TRAFFIC_DIR}fake-server.mjs`;
  if (!existsSync(app) || !existsSync(fakeServer)) {
    throw new Error(
      `demo: the sample app is not at ${TRAFFIC_DIR}; costlens demo runs from a checkout of costlens (git clone, then bash scripts/install.sh)`,
    );
  }
  const require = createRequire(app);
  try {
    require.resolve('@costlens/instrumentation/register');
  } catch {
    throw new Error(
      'demo: the instrumentation is not built (instrumentation/dist); run npm run build at the root of the checkout (scripts/install.sh does)',
    );
  }
  const missing = ['openai', '@anthropic-ai/sdk', '@google/genai'].filter((p) => {
    try {
      require.resolve(p);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `demo: the sample app needs ${missing.join(', ')} (dev dependencies of the checkout); run bash scripts/install.sh, which installs them`,
    );
  }
  return { app, fakeServer };
}

export interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when ended by a signal) once it has exited. */
  readonly exited: Promise<number | null>;
  /** Whether it is still running. */
  running(): boolean;
  /** Closes its stdin, which asks it to finish (the traffic scripts' STOP_ON_STDIN_END). */
  askToStop(): void;
  /** Waits up to `ms` for it to end by itself, then kills it; resolves with its exit code. */
  stop(ms: number): Promise<number | null>;
}

/**
 * A node script as a child in its own process group: Ctrl-C on the terminal reaches
 * only the demo, which stops the children in order (the app first, so its last
 * spans reach a running collector). Its stdin is a pipe from the demo: when the demo
 * ends, however it ends, the pipe closes and the child ends too.
 */
export function spawnNode(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
): Child {
  const child = spawn(process.execPath, args, {
    cwd: TRAFFIC_DIR,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    let rest = '';
    child[stream]!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) onLine(line, stream);
    });
  }
  // A child that has ended cannot take our stdin's end: that is fine.
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      onLine(`${name}: ${err.message}`, 'stderr');
      resolve(1);
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const askToStop = () => {
    if (!child.stdin!.destroyed) child.stdin!.end();
  };
  return {
    name,
    child,
    exited,
    running: () => !done,
    askToStop,
    async stop(ms) {
      askToStop();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(resolve, ms, 'late');
      });
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first !== 'late') return first;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Resolves with the URL a child prints in its "listening on URL" line, or rejects on exit or after `ms`. */
export function listeningUrl(child: Child, lines: () => string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(lines());
      if (m) finish(() => resolve(m[1]!));
    }, 20);
    const timer = setTimeout(
      () =>
        finish(() => reject(new Error(`demo: the ${child.name} did not start in ${ms / 1000} s`))),
      ms,
    );
    void child.exited.then((code) =>
      finish(() =>
        reject(new Error(`demo: the ${child.name} exited (${code}) before listening: ${lines()}`)),
      ),
    );
    function finish(then: () => void) {
      clearInterval(poll);
      clearTimeout(timer);
      then();
    }
  });
}
