// Runs every benchmark in turn (or those named: node bench/run.js ingest pricing), then
// regenerates docs/benchmarks.md from their results. A benchmark that fails stops the run.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .map((f) => f.slice(0, -'.bench.js'.length))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`no benchmark named ${unknown.join(', ')}: there are ${all.join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : all) {
  console.error(`== ${name}`);
  execFileSync(process.execPath, [`${here}${name}.bench.js`], { stdio: 'inherit' });
}
execFileSync(process.execPath, [`${here}publish.js`], { stdio: 'inherit' });
