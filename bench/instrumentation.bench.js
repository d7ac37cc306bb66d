// What an instrumentation adds to each OpenAI call, non-streaming and streaming:
// the openai 6 SDK over an in-process fake fetch (so no network hides the cost),
// bare, under costlens, under the official @opentelemetry/instrumentation-openai
// and under OpenLLMetry's @traceloop/instrumentation-openai. Each contender runs
// alone in fresh processes (bench/instrumentation-peers/contender.js), interleaved
// pass after pass so that a busy moment of the machine falls on all of them.
// Both peers patch openai < 7 only, hence openai 6 in a bench-only package.
// Run: scripts/run node bench/instrumentation.bench.js   (after npm run build), then node bench/publish.js
// PROF=1 also writes a CPU profile of each contender to /tmp/costlens-prof/<name>.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { median, save } from './lib.js';

const PEERS = new URL('./instrumentation-peers/', import.meta.url).pathname;
const CONTENDERS = ['none', 'costlens', 'official', 'traceloop'];
const MODES = ['nonStreaming', 'streaming'];
const PASSES = Number(process.env.PASSES ?? 5);
const OPTIONS = process.env.QUICK
  ? { iterations: 200, rounds: 3, warmup: 300 }
  : { iterations: 1000, rounds: 10, warmup: 3000 };
const AIM_US = 25;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (30 s at most) until nothing but this script has run for a second: others' work skews timings. */
async function waitQuiet() {
  if (!existsSync('/proc/loadavg')) return;
  const until = Date.now() + 30_000;
  for (let quiet = 0; quiet < 5 && Date.now() < until; await sleep(200)) {
    const running = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3].split('/')[0]);
    quiet = running <= 1 ? quiet + 1 : 0;
  }
}

function runContender(name) {
  const prof = process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=/tmp/costlens-prof/${name}`] : [];
  const text = execFileSync(
    process.execPath,
    [...prof, join(PEERS, 'contender.js'), name, JSON.stringify(OPTIONS)],
    { encoding: 'utf8', cwd: PEERS },
  );
  return JSON.parse(text);
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

const runs = Object.fromEntries(CONTENDERS.map((c) => [c, []]));
for (let pass = 0; pass < PASSES; pass++) {
  // A different contender starts each pass.
  const order = CONTENDERS.map((_, i) => CONTENDERS[(i + pass) % CONTENDERS.length]);
  for (const name of order) {
    await waitQuiet();
    const run = runContender(name);
    runs[name].push(run);
    const m = (mode) => median(run[mode].wallUs).toFixed(1);
    console.error(
      `pass ${pass + 1}/${PASSES} ${name}: ${m('nonStreaming')} / ${m('streaming')} µs`,
    );
  }
}

const contenders = {};
for (const name of CONTENDERS) {
  const all = runs[name];
  const first = all[0];
  const entry = {};
  for (const mode of MODES) {
    entry[mode] = {
      wallUs: median(all.flatMap((r) => r[mode].wallUs)),
      cpuUs: median(all.flatMap((r) => r[mode].cpuUs)),
    };
  }
  // Every process must have produced exactly one span per call while timed.
  entry.spansPerCall = name === 'none' ? 0 : median(all.map((r) => r.spansPerCall));
  if (name !== 'none') {
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

const added = {};
const ratioToCostlens = {};
for (const name of CONTENDERS.slice(1)) {
  added[name] = {};
  ratioToCostlens[name] = {};
  for (const mode of MODES) {
    for (const clock of ['wallUs', 'cpuUs']) {
      added[name][mode] ??= {};
      added[name][mode][clock] = contenders[name][mode][clock] - contenders.none[mode][clock];
    }
  }
}
for (const name of CONTENDERS.slice(1)) {
  for (const mode of MODES) {
    ratioToCostlens[name][mode] = {
      added: added[name][mode].wallUs / added.costlens[mode].wallUs,
      total: contenders[name][mode].wallUs / contenders.costlens[mode].wallUs,
    };
  }
}

const result = {
  versions: {
    openai: version('openai'),
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
  costlensCommit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
    cwd: PEERS,
  }).trim(),
  ...OPTIONS,
  passes: PASSES,
  aimUs: AIM_US,
  contenders,
  addedUs: added,
  ratioToCostlens,
  aimMet: {
    under: added.costlens.nonStreaming.wallUs < AIM_US,
    noSlowerThanOfficial: added.costlens.nonStreaming.wallUs <= added.official.nonStreaming.wallUs,
  },
};
const file = save('instrumentation', result);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file.pathname}`);
