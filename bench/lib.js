// Small measurement helpers shared by the benchmarks: medians of repeated
// rounds, never a single timing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Processes running now, the caller included (the 4th field of /proc/loadavg); 0 where unknown. */
export function runningProcesses() {
  if (!existsSync('/proc/loadavg')) return 0;
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3].split('/')[0]);
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs fn(i) `iterations` times per round; returns the median ns per call over `rounds`. */
export function nsPerCall(fn, { iterations = 100_000, rounds = 15, warmup = 3 } = {}) {
  const per = [];
  for (let r = 0; r < rounds + warmup; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    if (r >= warmup) per.push(ns);
  }
  return median(per);
}

/** Runs `node -e script` in fresh processes; the script prints one JSON object; returns the runs. */
export function freshRuns(script, runs = 11) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const text = execFileSync(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        cwd: new URL('.', import.meta.url),
      },
    );
    out.push(JSON.parse(text));
  }
  return out;
}

export function machine() {
  return {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    date: new Date().toISOString().slice(0, 10),
  };
}

export function save(name, result) {
  const file = new URL(`./results/${name}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify({ machine: machine(), ...result }, null, 2)}\n`);
  return file;
}

/**
 * The young generation the timed instrumentation bench runs every contender with
 * (MB a semi-space; YOUNG_MB sets it), and the node flags that fix it. V8 grows a
 * process's young generation as objects survive its collections, up to a
 * largest size (64 MB a semi-space on the machine of the published runs) that a
 * long-running app under load reaches and keeps. How many calls that takes
 * depends on how much each contender leaves alive: with V8's defaults,
 * OpenLLMetry's reached it in its 2nd timed round of 20, the official one's in
 * its 10th, costlens's in its 14th and the bare SDK's not in 29,000
 * non-streaming calls, so each contender was timed in a young
 * generation of its own size (costlens collected 1.6 times as often as
 * OpenLLMetry on the non-streaming call). Fixed at that largest size, every
 * contender runs in the same heap, the steady state of a long-running app.
 */
export function youngGeneration() {
  const mb = Number(process.env.YOUNG_MB ?? 64);
  if (!Number.isInteger(mb) || mb < 1) {
    throw new TypeError(`YOUNG_MB=${process.env.YOUNG_MB}: use a whole number of MB, such as 64`);
  }
  return { mb, flags: [`--min-semi-space-size=${mb}`, `--max-semi-space-size=${mb}`] };
}
