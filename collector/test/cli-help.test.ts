import { describe, expect, it } from 'vitest';
import type { Io } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { runCli, runCliWith } from './run-cli.js';

/** The first line of each command's help. */
const TITLE = {
  costlens: 'costlens: know what every AI call costs\n',
  start: 'costlens start: run the collector\n',
  demo: 'costlens demo: the collector, a stand-in provider server and a sample app, together\n',
  price: 'costlens price: what one AI call costs\n',
  pricing: 'costlens pricing: the price catalogue\n',
  'pricing list': 'costlens pricing list: what the price catalogue knows\n',
  'pricing update': 'costlens pricing update: rebuild the catalogue from newer price sources\n',
  recompute: "costlens recompute: re-price stored calls with today's prices\n",
  export: 'costlens export: the stored calls as CSV or NDJSON\n',
  db: "costlens db: the collector's database\n",
  'db info': 'costlens db info: the database at a glance\n',
  'db clear': 'costlens db clear: delete the calls before a time\n',
  'db vacuum': 'costlens db vacuum: give the space of deleted calls back\n',
};

describe('costlens help', () => {
  it.each([
    [['--help'], 'costlens'],
    [['-h'], 'costlens'],
    [['help'], 'costlens'],
    [['start', '--help'], 'start'],
    [['start', '--port', '9999', '-h'], 'start'],
    [['price', '--help'], 'price'],
    [['price', '--model', 'gpt-4o', '--help'], 'price'],
    [['pricing', '--help'], 'pricing'],
    [['pricing', 'help'], 'pricing'],
    [['pricing', 'list', '--help'], 'pricing list'],
    [['pricing', 'list', '--provider', 'openai', '-h'], 'pricing list'],
    [['pricing', 'update', '--help'], 'pricing update'],
    [['help', 'start'], 'start'],
    [['help', 'demo'], 'demo'],
    [['demo', '--rate', '3', '--help'], 'demo'],
    [['help', 'price'], 'price'],
    [['help', 'pricing'], 'pricing'],
    [['help', 'pricing', 'list'], 'pricing list'],
    [['help', 'pricing', 'update'], 'pricing update'],
    [['help', 'recompute'], 'recompute'],
    [['export', '--help'], 'export'],
    [['help', 'export'], 'export'],
    [['db', '--help'], 'db'],
    [['help', 'db'], 'db'],
    [['db', 'info', '--help'], 'db info'],
    [['help', 'db', 'clear'], 'db clear'],
    [['db', 'clear', '--before', '2026-06-01', '-h'], 'db clear'],
    [['db', 'help', 'vacuum'], 'db vacuum'],
  ] as const)('%j prints the usage of %s and exits 0', async (argv, command) => {
    const r = await runCli(...argv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(TITLE[command])).toBe(true);
    if (command !== 'costlens' && command !== 'pricing' && command !== 'db') {
      expect(r.stdout).toContain(`\nUsage: costlens ${command} `);
    }
  });

  it('shows every option a command accepts', async () => {
    const options = (text: string) => [...text.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
    const list = (await runCli('help', 'pricing', 'list')).stdout;
    for (const o of ['--provider', '--search', '--prices', '--catalogue', '--json'])
      expect(options(list)).toContain(o);
    const update = (await runCli('help', 'pricing', 'update')).stdout;
    for (const o of [
      '--litellm',
      '--genai-prices',
      '--overlay',
      '--out',
      '--litellm-as-of',
      '--genai-prices-as-of',
      '--dry-run',
      '--force',
    ])
      expect(options(update)).toContain(o);
    expect((await runCli('--help')).stdout).toContain('--debug');
  });

  it('lists every command in the overview, and each one has its help', async () => {
    const overview = (await runCli('--help')).stdout;
    const listed = [...overview.matchAll(/^ {2}([a-z]+(?: [a-z]+)?) {2,}/gm)].map((m) => m[1]!);
    expect(listed).toEqual([
      'start',
      'demo',
      'price',
      'pricing list',
      'pricing update',
      'recompute',
      'export',
      'db info',
      'db clear',
      'db vacuum',
    ]);
    for (const command of listed) {
      const r = await runCli('help', ...command.split(' '));
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(TITLE[command as keyof typeof TITLE])).toBe(true);
    }
  });

  it('prints the overview and exits 2 when no command is given', async () => {
    const none = await runCli();
    expect(none.code).toBe(2);
    expect(none.stdout.startsWith(TITLE.costlens)).toBe(true);
    const group = await runCli('pricing');
    expect(group.code).toBe(2);
    expect(group.stdout.startsWith(TITLE.pricing)).toBe(true);
  });

  it.each([
    [['frobnicate'], `unknown command "frobnicate"; run 'costlens --help' for the list.`],
    [['frobnicate', '--help'], `unknown command "frobnicate"; run 'costlens --help' for the list.`],
    [['help', 'frobnicate'], `unknown command "frobnicate"; run 'costlens --help' for the list.`],
    [['pricing', 'frob'], 'pricing: unknown subcommand "frob"; use "list" or "update".'],
    [['pricing', 'frob', '--help'], 'pricing: unknown subcommand "frob"; use "list" or "update".'],
    [['help', 'pricing', 'frob'], 'pricing: unknown subcommand "frob"; use "list" or "update".'],
    [
      ['help', 'price', 'list'],
      `price: unknown subcommand "list"; run 'costlens help price' for its usage.`,
    ],
  ])('%j says what is unknown in one sentence and exits 2', async (argv, message) => {
    const r = await runCli(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`costlens: ${message}\n`);
  });
});

describe('an unexpected error', () => {
  /** An io whose stdout fails: a fault that is neither the user's arguments nor a known refusal. */
  async function failing(argv: string[], env: Record<string, string> = {}) {
    let stderr = '';
    const io: Io = {
      stdout: {
        write: () => {
          throw new Error('EIO: i/o error, write');
        },
      },
      stderr: { write: (s: string) => (stderr += s) },
      env,
    };
    return { code: await main(argv, io), stderr };
  }

  it('prints one sentence and exits 1', async () => {
    const r = await failing(['pricing', 'list', '--search', 'gpt-4o-mini']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('costlens: EIO: i/o error, write.\n');
  });

  it.each([
    [['--debug', 'pricing', 'list', '--search', 'gpt-4o-mini'], {}],
    [['pricing', 'list', '--debug', '--search', 'gpt-4o-mini'], {}],
    [['pricing', 'list', '--search', 'gpt-4o-mini'], { COSTLENS_DEBUG: '1' }],
  ])('prints the stack too with --debug or COSTLENS_DEBUG=1: %j %j', async (argv, env) => {
    const r = await failing(argv, env);
    expect(r.code).toBe(1);
    const [first, ...stack] = r.stderr.trimEnd().split('\n');
    expect(first).toBe('costlens: EIO: i/o error, write.');
    expect(stack[0]).toBe('Error: EIO: i/o error, write');
    expect(stack.slice(1).every((l) => l.trimStart().startsWith('at '))).toBe(true);
    expect(r.stderr).toMatch(/\n {4}at .*pricing\.ts/);
  });

  it('--debug changes nothing else', async () => {
    const ok = await runCli('price', '--model', 'gpt-4o', '--input-tokens', '1000', '--debug');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('  total        $0.002500\n');
    const usage = await runCliWith({ COSTLENS_DEBUG: '1' }, 'price', '--input-tokens', 'many');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('costlens: price: --model is required, e.g. --model gpt-4o.\n');
    const off = await failing(['pricing', 'list'], { COSTLENS_DEBUG: '0' });
    expect(off.stderr).toBe('costlens: EIO: i/o error, write.\n');
  });
});
