import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, checkExposure, loadConfig } from '../src/service/config.js';
import { runCli, runCliWith } from './run-cli.js';

function configFile(body: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'costlens-config-')), 'costlens.yaml');
  writeFileSync(file, body);
  return file;
}

const message = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('a bad setting says where it came from', () => {
  it('a file: the file and the key', () => {
    const file = configFile('port: 70000\nkeys:\n  ingest:\n    - key: short\n');
    expect(message(() => loadConfig({ file }))).toBe(
      `${file}: port must be a whole number from 1 to 65535, got 70000`,
    );
    const keys = configFile('keys:\n  ingest:\n    - key: short\n');
    expect(message(() => loadConfig({ file: keys }))).toBe(
      `${keys}: keys.ingest[0].key is too short: use at least 16 random characters`,
    );
  });

  it('an environment variable: its name', () => {
    expect(message(() => loadConfig({ env: { COSTLENS_PORT: 'http' } }))).toBe(
      'COSTLENS_PORT must be a whole number from 1 to 65535, got "http"',
    );
    expect(message(() => loadConfig({ env: { COSTLENS_MAX_INFLIGHT: '0' } }))).toBe(
      'COSTLENS_MAX_INFLIGHT must be a whole number from 1 to 10000, got "0"',
    );
    expect(message(() => loadConfig({ env: { COSTLENS_HOST: ' ' } }))).toBe(
      'COSTLENS_HOST must be a non-empty string',
    );
  });

  it("keys from the environment: each kind a comma-separated list, in place of the file's", () => {
    const file = configFile('keys:\n  ingest:\n    - key: from-the-file-0123456789\n');
    const c = loadConfig({
      file,
      env: { COSTLENS_READ_KEYS: 'read-key-0123456789, read-key-9876543210' },
    });
    expect(c.keys.ingest).toEqual([{ key: 'from-the-file-0123456789' }]);
    expect(c.keys.read).toEqual([{ key: 'read-key-0123456789' }, { key: 'read-key-9876543210' }]);
    const env = { COSTLENS_INGEST_KEYS: 'ingest-key-0123456789' };
    expect(loadConfig({ file, env }).keys.ingest).toEqual([{ key: 'ingest-key-0123456789' }]);
    expect(message(() => loadConfig({ env: { COSTLENS_ADMIN_KEYS: 'short' } }))).toBe(
      'COSTLENS_ADMIN_KEYS[0] is too short: use at least 16 random characters',
    );
  });

  it('a flag: the flag', () => {
    expect(message(() => loadConfig({ flags: { port: '-1' } }))).toBe(
      '--port must be a whole number from 1 to 65535, got "-1"',
    );
    expect(message(() => loadConfig({ flags: { max_inflight: 'x' } }))).toBe(
      '--max-inflight must be a whole number from 1 to 10000, got "x"',
    );
  });

  it('names the source that won when several set the same key', () => {
    const file = configFile('port: 4318\n');
    expect(
      message(() => loadConfig({ file, env: { COSTLENS_PORT: 'env' }, flags: { port: 'flag' } })),
    ).toBe('--port must be a whole number from 1 to 65535, got "flag"');
    expect(message(() => loadConfig({ file, env: { COSTLENS_PORT: 'env' } }))).toBe(
      'COSTLENS_PORT must be a whole number from 1 to 65535, got "env"',
    );
    expect(loadConfig({ file, env: { COSTLENS_PORT: '5000' }, flags: { port: '6000' } }).port).toBe(
      6000,
    );
  });
});

describe('costlens start with a bad setting', () => {
  it.each([
    [
      ['--port', 'http'],
      {},
      'costlens: start: --port must be a whole number from 1 to 65535, got "http".\n',
    ],
    [
      [],
      { COSTLENS_PORT: 'http' },
      'costlens: start: COSTLENS_PORT must be a whole number from 1 to 65535, got "http".\n',
    ],
  ])('%j %j', async (argv, env, stderr) => {
    const r = await runCliWith(env, 'start', ...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(stderr);
  });

  it('from the config file', async () => {
    const file = configFile('port: http\n');
    const r = await runCli('start', '--config', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `costlens: start: ${file}: port must be a whole number from 1 to 65535, got "http".\n`,
    );
  });
});

describe('keys and exposure', () => {
  it('a key written as a plain string needs 16 characters too', () => {
    const file = configFile('keys:\n  ingest: ["x"]\n');
    expect(message(() => loadConfig({ file }))).toBe(
      `${file}: keys.ingest[0] is too short: use at least 16 random characters`,
    );
    expect(
      loadConfig({ file: configFile('keys:\n  ingest: ["0123456789abcdef"]\n') }).keys.ingest,
    ).toEqual([{ key: '0123456789abcdef' }]);
  });

  it('loopback is a literal loopback address or localhost, not a name that begins like one', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST']) {
      expect(() => checkExposure(loadConfig({ flags: { host } })), host).not.toThrow();
    }
    for (const host of ['127.attacker.example', '127.0.0.1.nip.io', '0.0.0.0', '10.0.0.1', '::']) {
      expect(
        message(() => checkExposure(loadConfig({ flags: { host } }))),
        host,
      ).toMatch(`host ${host} would expose the collector without keys`);
    }
  });

  it('limits and /metrics bounds are settings like the others', () => {
    const file = configFile(
      'limits:\n  tokens_per_call: 5000\n  cost_usd_per_call: 2.5\nmax_series_per_metric: 100\nmax_label_length: 64\n',
    );
    const c = loadConfig({ file, env: { COSTLENS_MAX_SPANS_PER_REQUEST: '500' } });
    expect(c.limits).toEqual({
      tokens_per_call: 5000,
      images_per_call: 100_000,
      video_seconds_per_call: 86_400,
      cost_usd_per_call: 2.5,
    });
    expect([c.max_series_per_metric, c.max_label_length, c.max_spans_per_request]).toEqual([
      100, 64, 500,
    ]);
    expect(message(() => loadConfig({ file: configFile('limits:\n  tokens: 5\n') }))).toMatch(
      /limits: unknown key "tokens" \(known: tokens_per_call, images_per_call, video_seconds_per_call, cost_usd_per_call\)/,
    );
  });
});
