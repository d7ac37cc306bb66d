import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Response, Router } from 'express';

/**
 * Scripts and styles only from this origin, never inline; data only through the
 * API (connect-src); nothing may frame the page, so a click cannot be hijacked.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** uPlot's files the page loads, by the name they have under /assets/vendor/. */
const VENDOR = ['uPlot.iife.min.js', 'uPlot.min.css', 'LICENSE'];

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * The package's root, found by walking up to its package.json: the same from
 * src/service (tests run the TypeScript) and dist/service (`costlens start`).
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === '@costlens/collector')
      return dir;
    if (dirname(dir) === dir)
      throw new Error(`no @costlens/collector package.json above ${from}: reinstall the package`);
  }
}

function asset(file: string, type: string): Asset {
  const body = readFileSync(file);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, type, etag };
}

/**
 * The page's files, read once: a fixed set of names, so no request path ever
 * reaches the file system.
 */
function loadAssets(root: string): Map<string, Asset> {
  const dir = join(root, 'page');
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type !== undefined && name !== 'index.html') assets.set(name, asset(join(dir, name), type));
  }
  let uplot: string | null = null;
  try {
    uplot = dirname(createRequire(join(root, 'package.json')).resolve('uplot/package.json'));
  } catch {
    // Without uPlot the page still shows its numbers; its charts say they are missing.
    console.error('costlens: uplot is not installed, the page shows no charts (npm install)');
  }
  for (const name of VENDOR) {
    if (uplot === null) break;
    const file = name === 'LICENSE' ? join(uplot, name) : join(uplot, 'dist', name);
    assets.set(`vendor/${name}`, asset(file, TYPES[extname(name)] ?? 'text/plain; charset=utf-8'));
  }
  return assets;
}

function send(res: Response, a: Asset, ifNoneMatch: string | undefined): void {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  // Revalidated every time (a 304 when unchanged): an upgraded collector never runs an old script.
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', a.etag);
  if (ifNoneMatch === a.etag) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Type', a.type);
  res.send(a.body);
}

/**
 * The usage page at / and its assets under /assets/ (collector/page/, uPlot from
 * node_modules). Without its files the collector still runs; / says what is wrong.
 */
export function pageRouter(root?: string): Router {
  const router = Router();
  let index: Asset;
  let assets: Map<string, Asset>;
  try {
    const dir = root ?? packageRoot();
    index = asset(join(dir, 'page', 'index.html'), TYPES['.html']!);
    assets = loadAssets(dir);
  } catch (err) {
    // The path is for the log only: an HTTP answer never tells where files live.
    console.error(
      `costlens: the usage page's files cannot be read (${(err as Error).message}): reinstall @costlens/collector`,
    );
    router.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send(
          'the usage page is missing from this install of @costlens/collector: reinstall it (the collector log names the file)\n',
        );
    });
    return router;
  }
  router.get('/', (req, res) => send(res, index, req.headers['if-none-match']));
  router.get(/^\/assets\/(.+)$/, (req, res, next) => {
    const a = assets.get((req.params as Record<string, string>)[0] ?? '');
    if (a === undefined) next();
    else send(res, a, req.headers['if-none-match']);
  });
  return router;
}
