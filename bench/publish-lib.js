// What bench/publish.js and its section modules share: reading a result, and formatting.
import { existsSync, readFileSync } from 'node:fs';

/** A result of bench/results/, or null when that benchmark has not been run. */
export const read = (name) => {
  const file = new URL(`./results/${name}.json`, import.meta.url);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};
export const f = (n, digits = 1) => (n === undefined || n === null ? 'n/a' : n.toFixed(digits));
export const machineLine = (m) => `${m.date}, Node ${m.node}, ${m.cores} × ${m.cpu}`;
