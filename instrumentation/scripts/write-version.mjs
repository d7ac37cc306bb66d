// Writes src/version.ts from package.json, so that the name and version the
// instrumentation gives its tracer and meter are the package's, never typed by
// hand. Run before `npm run build` (prebuild) and by `npm version` in this
// package; test/version.test.ts fails when the file and package.json disagree.
import { readFileSync, writeFileSync } from 'node:fs';

const manifest = new URL('../package.json', import.meta.url);
const target = new URL('../src/version.ts', import.meta.url);
const { name, version } = JSON.parse(readFileSync(manifest, 'utf8'));
for (const [field, value] of Object.entries({ name, version })) {
  if (typeof value !== 'string' || !/^[\w@/.+-]+$/.test(value)) {
    throw new Error(`package.json ${field} is ${JSON.stringify(value)}: not a package ${field}`);
  }
}
const text = `// Written from package.json by scripts/write-version.mjs: edit package.json, not this file.
export const PACKAGE_NAME = '${name}';
export const PACKAGE_VERSION = '${version}';
`;
let current;
try {
  current = readFileSync(target, 'utf8');
} catch {}
// Unchanged, the file is left alone (its date too, so tsc -b has nothing to rebuild).
if (current !== text) writeFileSync(target, text);
