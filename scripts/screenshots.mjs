// Retakes the README's screenshots of the usage page: docs/images/usage-page-desktop.png
// (1280 px wide) and docs/images/usage-page-phone.png (390 px wide).
//
//   scripts/run node scripts/screenshots.mjs [--seconds 90] [--out docs/images]
//
// It runs `./costlens demo` on a free loopback port with a temporary database, waits
// while the sample app makes its calls (so the page shows every kind of call, failures,
// projects and the demo's budgets), takes both screenshots in Debian's headless
// Chromium (light colour scheme, UTC, en-US) while the demo still runs, then stops the
// demo with SIGINT and deletes the database. Needs a checkout set up with
// `bash scripts/install.sh --test` (the instrumentation built, playwright-core and
// /usr/bin/chromium installed). Nothing leaves the machine: every server is on 127.0.0.1.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '90' },
    out: { type: 'string', default: join(ROOT, 'docs/images') },
  },
});
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 10 || seconds > 3600) {
  console.error('screenshots: --seconds must be a whole number from 10 to 3600');
  process.exit(2);
}

// The first two screens or so of each: the cards, budgets, charts, projects and the top of the
// call table. A full phone page (every project and 50 call rows) would be far taller.
const SHOTS = [
  {
    file: 'usage-page-desktop.png',
    viewport: { width: 1280, height: 800 },
    scale: 1,
    height: 1750,
  },
  { file: 'usage-page-phone.png', viewport: { width: 390, height: 844 }, scale: 2, height: 1700 },
];

const dir = mkdtempSync(join(tmpdir(), 'costlens-shots-'));
// The demo runs longer than we wait, so its collector (and its budgets) still serve
// when the screenshots are taken; SIGINT ends it.
const demo = spawn(
  join(ROOT, 'costlens'),
  ['demo', '--duration', `${seconds + 120}s`, '--port', '0', '--db', join(dir, 'costlens.db')],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
);
const exited = new Promise((done) => demo.on('exit', (code, signal) => done(code ?? signal)));

/** Stops the demo (it finishes its calls in flight) and deletes its database. */
async function stop() {
  demo.kill('SIGINT');
  let timer;
  const end = await Promise.race([
    exited,
    new Promise((r) => {
      timer = setTimeout(r, 30_000, 'timeout');
    }),
  ]);
  clearTimeout(timer);
  if (end === 'timeout') demo.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => stop().then(() => process.exit(130)));
}

try {
  const url = await listening(demo, 60_000);
  console.log(`demo collector at ${url}; waiting ${seconds} s for its calls`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const summary = await (await fetch(`${url}/api/v1/summary`)).json();
  console.log(`${summary.calls ?? '?'} calls stored`);
  await shoot(url);
} finally {
  await stop();
}

/** The demo's collector URL, from its first line ("costlens collector listening on http://..."). */
function listening(child, timeoutMs) {
  return new Promise((done, fail) => {
    let seen = '';
    const timer = setTimeout(
      () => fail(new Error(`the demo did not start within ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      if (seen.length < 10_000) seen += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        done(m[1]);
      }
    });
    child.on('exit', (code) =>
      fail(new Error(`the demo exited (${code}) before it listened:\n${seen}`)),
    );
  });
}

async function shoot(url) {
  mkdirSync(values.out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    for (const shot of SHOTS) {
      const context = await browser.newContext({
        viewport: shot.viewport,
        deviceScaleFactor: shot.scale,
        isMobile: shot.scale > 1,
        hasTouch: shot.scale > 1,
        colorScheme: 'light',
        locale: 'en-US',
        timezoneId: 'UTC',
      });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${url}/`);
      await page.waitForSelector('body[data-ready]', { timeout: 15_000 });
      // Let the charts lay themselves out at the final width.
      await page.waitForTimeout(500);
      const full = await page.evaluate(() => document.documentElement.scrollHeight);
      const path = join(values.out, shot.file);
      await page.screenshot({
        path,
        fullPage: true,
        clip: { x: 0, y: 0, width: shot.viewport.width, height: Math.min(full, shot.height) },
      });
      if (errors.length) throw new Error(`the page reported errors: ${errors.join('; ')}`);
      console.log(`${path}: ${Math.round(statSync(path).size / 1024)} KB`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
}
