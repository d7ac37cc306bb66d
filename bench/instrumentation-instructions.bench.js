// The instructions each instrumentation adds to an OpenAI call, counted by
// valgrind's callgrind: the same contenders, calls and telemetry as
// instrumentation.bench.js (bench/instrumentation-peers/contender.js), but a
// count of the work done rather than a time, so it does not move with what
// else the shared machine runs. Each process is counted twice, with fewer and
// with more timed calls after the same warm-up; the difference, divided by the
// calls between them, is the count per call, with start-up and warm-up gone.
// That difference is taken REPEATS times (3 by default) and the median kept: one
// pair in a dozen has been off by half (a count of 227k where three others gave
// 146k to 154k), which a single pair would publish.
// Instructions are not time (a cache miss costs more than an add), so this
// table stands beside the timed one, not in its place. Nor is a count free of
// the machine's load: V8 starts some collections by the clock, so a process
// slowed by other work counts more (a test suite run beside it added a quarter
// to the bare SDK's count, in two pairs of three). Each job therefore starts only
// when nothing but the other jobs runs (waiting up to 2 min), and the result
// says how many could not wait for it (`startedBusy`): run it on an idle machine.
// V8's young generation is left to grow as V8 sees fit here, unlike in the timed
// bench (see youngGeneration in lib.js): fixed at 64 MB a semi-space, the 2,400
// counted calls hold only two or three young collections and part of a full one,
// so where those fall decides much of the count (measured: OpenLLMetry's added
// count went from 96k to 251k a call, the official one's from 179k to 263k,
// costlens's stayed at 91k), which is a count of collections, not of the
// instrumentation's work.
// Run: scripts/run node bench/instrumentation-instructions.bench.js   (after npm run build;
// valgrind installed: apt-get install valgrind), then node bench/publish.js.
// About 1 h on 2 cores (REPEATS=1: 20 min, rougher); QUICK=1 a short, rougher run.
import { execFile, execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { median, runningProcesses, save, sleep } from './lib.js';

const PEERS = new URL('./instrumentation-peers/', import.meta.url).pathname;
// costlens-sdk: costlens on a reader without its metric producer (see contender.js).
const CONTENDERS = ['none', 'costlens', 'costlens-sdk', 'official', 'traceloop'];
const PEER_NAMES = ['official', 'traceloop'];
const MODES = ['nonStreaming', 'streaming'];
const OPTIONS = process.env.QUICK
  ? { warmup: 1000, iterations: 250, fewer: 1, more: 3 }
  : { warmup: 2000, iterations: 400, fewer: 2, more: 8 };
const REPEATS = Number(process.env.REPEATS ?? 3);

/** Guest instructions of one contender process, as callgrind counts them. */
function instructions(name, mode, rounds) {
  const args = [
    '--tool=callgrind',
    '--callgrind-out-file=/dev/null',
    // Node's JIT writes code as it runs: valgrind must see it change.
    '--smc-check=all-non-file',
    process.execPath,
    // No background compiler or GC threads: what they did would land in one
    // count or the other by chance (two runs then differ by 1%, not 10%).
    '--single-threaded',
    join(PEERS, 'contender.js'),
    name,
    JSON.stringify({
      iterations: OPTIONS.iterations,
      rounds,
      warmup: OPTIONS.warmup,
      modes: [mode],
    }),
  ];
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { cwd: PEERS, maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
      if (err?.code === 'ENOENT') {
        reject(
          new Error('valgrind is not installed: apt-get install valgrind, then run this again'),
        );
        return;
      }
      const m = /Collected\s*:\s*(\d+)/.exec(stderr);
      if (err || !m) {
        reject(
          new Error(
            `${name} ${mode} under valgrind failed: ${err?.message ?? stderr.slice(-2000)}`,
          ),
        );
        return;
      }
      resolve(Number(m[1]));
    });
  });
}

let startedBusy = 0;

/** Waits (2 min at most) until no more than `others` processes run beside this script. */
async function waitIdle(others) {
  const until = Date.now() + 120_000;
  for (let idle = 0; idle < 3; await sleep(500)) {
    if (Date.now() > until) {
      startedBusy++;
      return;
    }
    idle = runningProcesses() <= others + 1 ? idle + 1 : 0;
  }
}

/** Runs the jobs `width` at a time (each is one valgrind process, one core). */
async function pool(jobs, width) {
  const results = new Array(jobs.length);
  let next = 0;
  let active = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        await waitIdle(active);
        active++;
        try {
          results[i] = await jobs[i]();
        } finally {
          active--;
        }
      }
    }),
  );
  return results;
}

const jobs = [];
for (const mode of MODES) {
  for (const name of CONTENDERS) {
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const rounds of [OPTIONS.fewer, OPTIONS.more]) {
        jobs.push(async () => {
          const count = await instructions(name, mode, rounds);
          console.error(`${name} ${mode} ${rounds} rounds: ${count.toLocaleString('en-US')}`);
          return { name, mode, repeat, rounds, count };
        });
      }
    }
  }
}
const counts = await pool(jobs, Math.max(1, availableParallelism()));

const calls = (OPTIONS.more - OPTIONS.fewer) * OPTIONS.iterations;
const perCall = {};
const perCallRepeats = {};
for (const name of CONTENDERS) {
  perCall[name] = {};
  perCallRepeats[name] = {};
  for (const mode of MODES) {
    const at = (repeat, rounds) =>
      counts.find(
        (c) => c.name === name && c.mode === mode && c.repeat === repeat && c.rounds === rounds,
      ).count;
    const each = Array.from(
      { length: REPEATS },
      (_, r) => (at(r, OPTIONS.more) - at(r, OPTIONS.fewer)) / calls,
    );
    perCallRepeats[name][mode] = each;
    perCall[name][mode] = median(each);
  }
}
const added = {};
const ratioToPeers = {};
for (const name of CONTENDERS.filter((c) => c !== 'none')) {
  added[name] = {};
  for (const mode of MODES) added[name][mode] = perCall[name][mode] - perCall.none[mode];
}
for (const peer of PEER_NAMES) {
  ratioToPeers[peer] = {};
  for (const mode of MODES) ratioToPeers[peer][mode] = added.costlens[mode] / added[peer][mode];
}
const result = {
  valgrind: 'callgrind',
  costlensCommit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
    cwd: PEERS,
  }).trim(),
  ...OPTIONS,
  callsCounted: calls,
  repeats: REPEATS,
  startedBusy,
  perCallInstructions: perCall,
  perCallInstructionsEachRepeat: perCallRepeats,
  addedInstructions: added,
  ratioToPeers,
  lighterThanPeers: Object.fromEntries(
    MODES.map((mode) => [mode, PEER_NAMES.every((p) => ratioToPeers[p][mode] < 1)]),
  ),
};
const file = save('instrumentation-instructions', result);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file.pathname}`);
