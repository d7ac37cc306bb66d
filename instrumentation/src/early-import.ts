import { readFileSync, realpathSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import type { CostlensInstrumentation } from './instrumentation.js';
import { AI_SDK_PACKAGES } from './providers/ai-sdk-packages.js';

/** `import '@costlens/instrumentation/register'` as the first line of an ES module entry. */

const SDKS = {
  openai: 'openai',
  anthropic: '@anthropic-ai/sdk',
  googleGenAI: '@google/genai',
  bedrock: '@aws-sdk/client-bedrock-runtime',
};

/**
 * `import '@costlens/instrumentation/register'` first in an ES module entry runs
 * only once Node has loaded every module the entry imports statically (ESM loads
 * the whole graph, then runs it), so the loader hook never sees the SDKs the app
 * imports: they are loaded, not yet run. require() of an ES module returns the
 * instance already loaded (and runs it now, before the app's code), so each SDK
 * the entry resolves is taken that way and patched; one the app does not import
 * is loaded for nothing. Preloaded (--import, --require) or required by a
 * CommonJS entry, register runs before the app loads its SDKs: the hooks see them.
 */
export function patchLoadedSdks(instrumentation: CostlensInstrumentation): void {
  const entry = process.argv[1];
  const requireHere = nodeModule.createRequire(import.meta.url);
  // findPackageJSON: Node 22.14 and later.
  if (!entry || requireHere.main || preloaded() || !nodeModule.findPackageJSON) return;
  const aiSdk = AI_SDK_PACKAGES.map((pkg) => ['aiSdk', pkg] as const);
  for (const [key, pkg] of [...Object.entries(SDKS), ...aiSdk]) {
    const file = importedFile(pkg, pathToFileURL(entry).href);
    if (!file) continue;
    try {
      instrumentation.instrumentModules({ [key]: requireHere(file) });
    } catch (err) {
      diag.warn(`costlens: ${pkg} was loaded before register and could not be patched`, err);
    }
  }
}

/** Whether node was told to load this file before the app: --import, --require, -r (also in NODE_OPTIONS). */
function preloaded(): boolean {
  const self = fileURLToPath(new URL('./register.js', import.meta.url));
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS?.split(/\s+/) ?? [])];
  return args.some((arg, i) => {
    const flag = /^(?:--import|--require|-r)(?:=(.+))?$/.exec(arg);
    const value = flag ? (flag[1] ?? args[i + 1]) : undefined;
    if (value === undefined) return false;
    try {
      const url = /^\.{0,2}\//.test(value)
        ? pathToFileURL(resolve(value)).href
        : import.meta.resolve(value);
      return realpathSync(fileURLToPath(url)) === self;
    } catch {
      return false;
    }
  });
}

const IMPORT_CONDITIONS = new Set(['node', 'import', 'module-sync', 'default']);

/** The file `import pkg` loads from `parent` (the root of the package's "exports"), if installed. */
function importedFile(pkg: string, parent: string): string | undefined {
  let manifestPath: string | undefined;
  try {
    manifestPath = nodeModule.findPackageJSON(pkg, parent);
  } catch {
    return undefined; // not installed where the app is
  }
  if (!manifestPath) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports?: unknown;
    main?: string;
  };
  const { exports } = manifest;
  const subpaths =
    typeof exports === 'object' && exports !== null && !Array.isArray(exports)
      ? (exports as Record<string, unknown>)
      : undefined;
  const root =
    subpaths && Object.keys(subpaths).some((k) => k.startsWith('.')) ? subpaths['.'] : exports;
  const target = root === undefined ? (manifest.main ?? 'index.js') : exportTarget(root);
  return target === undefined ? undefined : join(dirname(manifestPath), target);
}

function exportTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) return target.map(exportTarget).find((t) => t !== undefined);
  if (typeof target !== 'object' || target === null) return undefined;
  for (const [condition, sub] of Object.entries(target)) {
    const t = IMPORT_CONDITIONS.has(condition) ? exportTarget(sub) : undefined;
    if (t !== undefined) return t;
  }
  return undefined;
}
