import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pageRouter } from '../collector/src/service/page.js';
import { type RunningCollector, startCollector } from './collector-harness.js';
import { type CollectorProcess, freePort, spawnCollector } from './collector-process.js';

// The page's route over real HTTP: what it serves, with which headers, and
// nothing else; from the TypeScript sources, the built dist and the npm package.

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

let c: RunningCollector;
beforeAll(async () => {
  c = await startCollector();
});
afterAll(() => c.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${c.url}${path}`, { headers });

/** Every /assets/ path index.html links and every module app.js imports, followed to the end. */
async function everyAsset(): Promise<string[]> {
  const html = await (await get('/')).text();
  const found = new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!));
  const queue = [...found].filter((p) => p.endsWith('.js') && !p.includes('/vendor/'));
  while (queue.length > 0) {
    const js = await (await get(queue.pop()!)).text();
    for (const m of js.matchAll(/from '\.\/([\w-]+\.js)'/g)) {
      const path = `/assets/${m[1]}`;
      if (!found.has(path)) {
        found.add(path);
        queue.push(path);
      }
    }
  }
  return [...found].sort();
}

describe('GET / and /assets/', () => {
  it('/ is the page: HTML, a strict CSP, no inline script, revalidated on every load', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect({
      type: res.headers.get('content-type'),
      csp: res.headers.get('content-security-policy'),
      cache: res.headers.get('cache-control'),
      nosniff: res.headers.get('x-content-type-options'),
      referrer: res.headers.get('referrer-policy'),
    }).toEqual({
      type: 'text/html; charset=utf-8',
      csp: CSP,
      cache: 'no-cache',
      nosniff: 'nosniff',
      referrer: 'no-referrer',
    });
    const html = await res.text();
    // Every <script> has a src (nothing inline for the CSP to have to allow), and no on*= handler.
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => /\bsrc="/.test(m[0]))).toEqual([
      true,
      true,
    ]);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/style="/);
  });

  it('serves every asset the page loads with its content type; uPlot comes from the collector, not a CDN', async () => {
    const assets = await everyAsset();
    expect(assets).toEqual([
      '/assets/api.js',
      '/assets/app.js',
      '/assets/bars.js',
      '/assets/budgets.js',
      '/assets/calls.js',
      '/assets/cards.js',
      '/assets/charts.js',
      '/assets/dom.js',
      '/assets/favicon.svg',
      '/assets/filters.js',
      '/assets/format.js',
      '/assets/guide.js',
      '/assets/keyform.js',
      '/assets/projects.js',
      '/assets/style.css',
      '/assets/url-state.js',
      '/assets/vendor/uPlot.iife.min.js',
      '/assets/vendor/uPlot.min.css',
    ]);
    const types: Record<string, string> = {};
    for (const path of assets) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toBe(CSP);
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      types[path.slice(path.lastIndexOf('.'))] = res.headers.get('content-type')!;
    }
    expect(types).toEqual({
      '.js': 'text/javascript; charset=utf-8',
      '.css': 'text/css; charset=utf-8',
      '.svg': 'image/svg+xml',
    });
    expect(await (await get('/assets/vendor/uPlot.iife.min.js')).text()).toContain('uPlot');
    expect((await get('/assets/vendor/LICENSE')).status).toBe(200);
  });

  it('index.html preloads every module app.js imports, so they load at once', async () => {
    const html = await (await get('/')).text();
    const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g)].map(
      (m) => m[1],
    );
    const modules = (await everyAsset()).filter(
      (p) => p.endsWith('.js') && !p.includes('/vendor/') && p !== '/assets/app.js',
    );
    expect(preloaded.sort()).toEqual(modules);
  });

  it('an unchanged asset is 304 with its ETag', async () => {
    const first = await get('/assets/app.js');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await get('/assets/app.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('no other path reaches a file: unknown names, folders and ../ are 404', async () => {
    for (const path of [
      '/assets/nope.js',
      '/assets/',
      '/assets/vendor/',
      '/assets/../package.json',
      '/assets/%2e%2e/package.json',
      '/assets/..%2fpackage.json',
      '/assets/vendor/..%2F..%2Fpackage.json',
      '/assets/index.html',
      '/index.html',
      '/assets/vendor/uPlot.esm.js',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toMatch(/^no such endpoint/);
    }
  });

  it('without its files the collector still starts: / is 503 with a sentence, the path only in the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'costlens-nopage-'));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const server = express().use(pageRouter(dir)).listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toBe(
        'the usage page is missing from this install of @costlens/collector: reinstall it (the collector log names the file)\n',
      );
      expect(logged.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringContaining(join(dir, 'page', 'index.html')),
      ]);
    } finally {
      logged.mockRestore();
      server.close();
    }
  });

  it('the built collector (costlens start, from dist/) serves the page and uPlot', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'costlens-page-'));
    let p: CollectorProcess | undefined;
    try {
      p = await spawnCollector(['--port', String(port), '--db', join(dir, 'c.db')]);
      const base = `http://127.0.0.1:${port}`;
      for (const path of ['/', '/assets/app.js', '/assets/vendor/uPlot.iife.min.js']) {
        const res = await fetch(`${base}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-security-policy'), path).toBe(CSP);
      }
    } finally {
      p?.child.kill('SIGKILL');
    }
  });

  it('the npm package ships the page', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '-w', 'collector'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files.filter((f) => f.startsWith('page/')).sort()).toEqual([
      'page/api.js',
      'page/app.js',
      'page/bars.js',
      'page/budgets.js',
      'page/calls.js',
      'page/cards.js',
      'page/charts.js',
      'page/dom.js',
      'page/favicon.svg',
      'page/filters.js',
      'page/format.js',
      'page/guide.js',
      'page/index.html',
      'page/keyform.js',
      'page/projects.js',
      'page/style.css',
      'page/url-state.js',
    ]);
    expect(files).toContain('dist/service/page.js');
  });
});
