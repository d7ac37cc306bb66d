// What an instrumentation adds to each OpenAI call, non-streaming and streaming:
// the openai SDK over an in-process fake fetch (so no network hides the cost),
// bare, under costlens, under the official @opentelemetry/instrumentation-openai
// and under OpenLLMetry's @traceloop/instrumentation-openai. Each contender runs
// alone in fresh processes (bench/instrumentation-peers/contender.js). A pass starts
// one process per contender, warms each, then times their rounds in turn, round by
// round, so that a busy minute of the machine falls on every contender alike; what
// a contender adds is taken round by round against the bare SDK's round beside it.
// The peers run on the latest openai major they patch (6: both patch openai < 7
// only); costlens on openai 6 beside them, and on openai 7 against openai 7 bare.
// SET=ai-sdk runs instead costlens on the Vercel AI SDK (`ai` 7's generateText and
// streamText with @ai-sdk/openai's chat model, the same fake answers) against the AI
// SDK bare, beside costlens on openai 7 against openai 7 bare in the same passes, and
// writes bench/results/instrumentation-ai-sdk.json.
// Run: scripts/run node bench/instrumentation.bench.js   (after npm run build), then node bench/publish.js
// PASSES=n sets the passes (default 7); QUICK=1 a short run; PROF=1 also writes a
// CPU profile of each contender process to /tmp/costlens-prof/<name>.
// YOUNG_MB=n sets the young generation every contender runs with (MB a semi-space, default 64;
// see youngGeneration in lib.js).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { median, runningProcesses, save, sleep, youngGeneration } from './lib.js';

const PEERS = new URL('./instrumentation-peers/', import.meta.url).pathname;
const PEER_NAMES = ['official', 'traceloop'];
const AI_SDK_SET = process.env.SET === 'ai-sdk';
if (process.env.SET && !AI_SDK_SET)
  throw new TypeError(`SET=${process.env.SET}: use SET=ai-sdk or none`);
const CONTENDERS = AI_SDK_SET
  ? ['none@7', 'costlens@7', 'ai-sdk', 'costlens-ai-sdk']
  : ['none', 'costlens', 'costlens-sdk', ...PEER_NAMES, 'none@7', 'costlens@7'];
/** The bare SDK each contender's added time is measured against. */
const BARE = AI_SDK_SET
  ? { 'costlens@7': 'none@7', 'costlens-ai-sdk': 'ai-sdk' }
  : {
      costlens: 'none',
      'costlens-sdk': 'none',
      official: 'none',
      traceloop: 'none',
      'costlens@7': 'none@7',
    };
const MODES = ['nonStreaming', 'streaming'];
const PASSES = Number(process.env.PASSES ?? 7);
// An AI SDK stream takes milliseconds (ten times an openai one): fewer calls a process.
const OPTIONS = process.env.QUICK
  ? { iterations: 200, rounds: 3, warmup: 300 }
  : AI_SDK_SET
    ? { iterations: 500, rounds: 6, warmup: 1000 }
    : { iterations: 1000, rounds: 10, warmup: 3000 };
const AIM_US = 25;
// Every contender in the same young generation (see youngGeneration in lib.js).
const { mb: YOUNG_MB, flags: NODE_FLAGS } = youngGeneration();

/** Waits (10 s at most) until nothing but this script has run for a second: others' work skews timings. */
async function waitQuiet() {
  const until = Date.now() + 10_000;
  for (let quiet = 0; quiet < 5 && Date.now() < until; await sleep(200)) {
    quiet = runningProcesses() <= 1 ? quiet + 1 : 0;
  }
}

/**
 * Starts a contender's process and waits until it is warm. Its rounds are then
 * asked for one at a time (`round(mode)`: [wall, cpu] µs per call), so that the
 * rounds of all the contenders of a pass follow each other within a second or
 * two: a shared machine that slows down for a minute slows every contender's
 * round of that minute, not one contender's whole process. `end()` returns the
 * process's result (its rounds, the span checks, the versions).
 */
async function startContender(name) {
  const prof = process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=/tmp/costlens-prof/${name}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...NODE_FLAGS,
      ...prof,
      join(PEERS, 'contender.js'),
      name,
      JSON.stringify({ ...OPTIONS, driven: true }),
    ],
    { cwd: PEERS, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let exit = 'still running';
  child.on('exit', (code, signal) => {
    exit = signal ?? `code ${code}`;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`contender ${name} stopped (${exit}): see its error above`);
    return value;
  };
  const ready = await line();
  if (ready !== 'ready') throw new Error(`contender ${name} said "${ready}", not "ready"`);
  return {
    async round(mode) {
      child.stdin.write(`${mode}\n`);
      return JSON.parse(await line());
    },
    async end() {
      child.stdin.end('end\n');
      const result = JSON.parse(await line());
      if (child.exitCode === null) await once(child, 'exit');
      return result;
    },
  };
}

/** The version of a package as the peers package resolves it. */
function version(name) {
  for (let dir = PEERS; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version;
    if (dir === '/') return undefined;
  }
}

/** The version a package resolves for a dependency of its own (a nested copy, or the shared one). */
function nestedVersion(pkg, dep) {
  const nested = join(PEERS, '../../node_modules', pkg, 'node_modules', dep, 'package.json');
  return existsSync(nested) ? JSON.parse(readFileSync(nested, 'utf8')).version : version(dep);
}

function commit() {
  return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
    cwd: PEERS,
  }).trim();
}

const runs = Object.fromEntries(CONTENDERS.map((c) => [c, []]));
for (let pass = 0; pass < PASSES; pass++) {
  // A different contender starts each pass, and each round of it.
  const order = CONTENDERS.map((_, i) => CONTENDERS[(i + pass) % CONTENDERS.length]);
  await waitQuiet();
  const procs = {};
  for (const name of order) procs[name] = await startContender(name);
  for (let r = 0; r < OPTIONS.rounds; r++) {
    for (const [m, mode] of MODES.entries()) {
      const k = (r * MODES.length + m) % order.length;
      for (const name of [...order.slice(k), ...order.slice(0, k)]) await procs[name].round(mode);
    }
  }
  for (const name of order) {
    const run = await procs[name].end();
    runs[name].push(run);
    const md = (mode) => median(run[mode].wallUs).toFixed(1);
    console.error(
      `pass ${pass + 1}/${PASSES} ${name}: ${md('nonStreaming')} / ${md('streaming')} µs`,
    );
  }
}

const quantile = (values, q) => {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.round(q * (v.length - 1))];
};

const contenders = {};
for (const name of CONTENDERS) {
  const all = runs[name];
  const first = all[0];
  const entry = first.openai
    ? { openai: first.openai }
    : { ai: first.ai, aiSdkOpenai: first.aiSdkOpenai };
  for (const mode of MODES) {
    const rounds = (clock) => all.flatMap((r) => r[mode][clock]);
    entry[mode] = {
      wallUs: median(rounds('wallUs')),
      cpuUs: median(rounds('cpuUs')),
      // The spread: quartiles of all rounds, and the range of the per-process medians.
      wallQuartilesUs: [quantile(rounds('wallUs'), 0.25), quantile(rounds('wallUs'), 0.75)],
      processMediansUs: all.map((r) => median(r[mode].wallUs)),
    };
  }
  // Every process must have produced exactly one span per call while timed.
  entry.spansPerCall = BARE[name] ? median(all.map((r) => r.spansPerCall)) : 0;
  // V8 reports the new space as its two semi-spaces together.
  for (const r of all) {
    if (r.newSpaceMb !== 2 * YOUNG_MB) {
      throw new Error(
        `${name} ran with a ${r.newSpaceMb} MB new space, not two semi-spaces of YOUNG_MB=${YOUNG_MB}: V8 did not take that size here; set another YOUNG_MB`,
      );
    }
  }
  if (BARE[name]) {
    for (const r of all) {
      if (r.spansPerCall !== 1) throw new Error(`${name}: ${r.spansPerCall} spans per call`);
      for (const mode of MODES) {
        const c = r.check[mode];
        if (c.spansPerCall !== 1 || !c.parented) {
          throw new Error(`${name} ${mode}: ${JSON.stringify(c)}`);
        }
      }
    }
    entry.check = first.check;
  }
  contenders[name] = entry;
}

// Added = the contender's median minus its bare SDK's; its spread is the range,
// over the passes, of the same difference within one pass (processes run side by side).
const added = {};
for (const [name, bare] of Object.entries(BARE)) {
  added[name] = {};
  for (const mode of MODES) {
    // Round j of a pass ran beside the bare SDK's round j (the same rotation): their
    // difference is one paired measure, free of the machine's slower and faster minutes.
    const paired = (clock, i) =>
      runs[name][i][mode][clock].map((v, j) => v - runs[bare][i][mode][clock][j]);
    const all = (clock) => runs[name].flatMap((_, i) => paired(clock, i));
    const perPass = runs[name].map((_, i) => median(paired('wallUs', i)));
    added[name][mode] = {
      wallUs: median(all('wallUs')),
      cpuUs: median(all('cpuUs')),
      perPassUs: perPass,
      rangeUs: [Math.min(...perPass), Math.max(...perPass)],
    };
  }
}
if (AI_SDK_SET) {
  const result = {
    versions: {
      openai7: contenders['none@7'].openai,
      ai: contenders['ai-sdk'].ai,
      aiSdkOpenai: contenders['ai-sdk'].aiSdkOpenai,
      costlens: version('@costlens/instrumentation'),
      api: version('@opentelemetry/api'),
      sdkTrace: version('@opentelemetry/sdk-trace'),
      sdkMetrics: version('@opentelemetry/sdk-metrics'),
    },
    costlensCommit: commit(),
    ...OPTIONS,
    youngGenerationMb: YOUNG_MB,
    passes: PASSES,
    contenders,
    addedUs: added,
  };
  const file = save('instrumentation-ai-sdk', result);
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${file.pathname}`);
  process.exit(0);
}

// What costlens adds over what each peer adds (below 1: costlens is the lighter),
// on openai 6 and, for costlens on openai 7, against the peers on their openai 6.
const ratioToPeers = {};
for (const ours of ['costlens', 'costlens-sdk', 'costlens@7']) {
  ratioToPeers[ours] = {};
  for (const peer of PEER_NAMES) {
    ratioToPeers[ours][peer] = {};
    for (const mode of MODES) {
      ratioToPeers[ours][peer][mode] = added[ours][mode].wallUs / added[peer][mode].wallUs;
    }
  }
}
const lighterThanPeers = Object.fromEntries(
  ['costlens', 'costlens-sdk', 'costlens@7'].map((ours) => [
    ours,
    Object.fromEntries(
      MODES.map((mode) => [mode, PEER_NAMES.every((p) => ratioToPeers[ours][p][mode] < 1)]),
    ),
  ]),
);

const result = {
  versions: {
    openai: contenders.none.openai,
    openai7: contenders['none@7'].openai,
    costlens: version('@costlens/instrumentation'),
    official: version('@opentelemetry/instrumentation-openai'),
    traceloop: version('@traceloop/instrumentation-openai'),
    api: version('@opentelemetry/api'),
    sdkTrace: version('@opentelemetry/sdk-trace'),
    sdkMetrics: version('@opentelemetry/sdk-metrics'),
    instrumentation: version('@opentelemetry/instrumentation'),
    officialInstrumentationBase: nestedVersion(
      '@opentelemetry/instrumentation-openai',
      '@opentelemetry/instrumentation',
    ),
    traceloopApi: nestedVersion('@traceloop/instrumentation-openai', '@opentelemetry/api'),
    traceloopInstrumentationBase: nestedVersion(
      '@traceloop/instrumentation-openai',
      '@opentelemetry/instrumentation',
    ),
  },
  costlensCommit: commit(),
  ...OPTIONS,
  youngGenerationMb: YOUNG_MB,
  passes: PASSES,
  aimUs: AIM_US,
  contenders,
  addedUs: added,
  ratioToPeers,
  aimMet: {
    under: MODES.every((m) => added.costlens[m].wallUs < AIM_US),
    lighterThanPeers,
  },
};
const file = save('instrumentation', result);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file.pathname}`);
