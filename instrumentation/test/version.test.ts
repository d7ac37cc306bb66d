import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/version.js';
import { onlySpan, setupTelemetry } from './harness.js';

// src/version.ts is written from package.json (scripts/write-version.mjs, run by
// `npm run build` and `npm version` in this package): it must never fall behind.

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

it('src/version.ts says what package.json says (else: node instrumentation/scripts/write-version.mjs)', () => {
  expect({ name: PACKAGE_NAME, version: PACKAGE_VERSION }).toEqual({
    name: manifest.name,
    version: manifest.version,
  });
});

it("spans carry the package's name and version as their instrumentation scope", async () => {
  const t = setupTelemetry();
  try {
    await t.instrumentation.track({ provider: 'openai', model: 'gpt-4o-mini' }, () => 'ok');
    expect(onlySpan(t).instrumentationScope).toMatchObject({
      name: manifest.name,
      version: manifest.version,
    });
  } finally {
    await t.shutdown();
  }
});
