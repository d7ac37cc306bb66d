import { readFileSync } from 'node:fs';
import {
  DB_CLEAR_HELP,
  DB_HELP,
  DB_INFO_HELP,
  DB_VACUUM_HELP,
  dbClear,
  dbInfo,
  dbVacuum,
} from './db.js';
import { DEMO_HELP, demoCommand } from './demo.js';
import { EXPORT_HELP, exportCommand } from './export.js';
import { EXIT, type Io, UsageError } from './io.js';
import { PRICE_HELP, priceCommand } from './price.js';
import {
  PRICING_HELP,
  PRICING_LIST_HELP,
  PRICING_UPDATE_HELP,
  pricingList,
  pricingUpdate,
} from './pricing.js';
import { RECOMPUTE_HELP, recomputeCommand } from './recompute.js';
import { START_HELP, startCommand } from './start.js';

export const HELP = `costlens: know what every AI call costs

Usage: costlens <command> [options]

Commands:
  start            run the collector: OTLP in, SQLite, /metrics
  demo             the collector with a sample app making every kind of AI call, to look around
  price            what one call costs: costlens price --provider openai --model gpt-4o --input-tokens 1000
  pricing list     what the price catalogue knows
  pricing update   rebuild the catalogue from newer price sources
  recompute        re-price stored calls with today's prices and overrides
  export           the stored calls as CSV or NDJSON, to stdout or a file
  db info          the database: path, size, schema, calls, rollups, retention
  db clear         delete the calls that started before a time
  db vacuum        give the space of deleted calls back to the file system
  help <command>   a command's options, like 'costlens help db clear'

Options:
  -h, --help       the usage of costlens, or of the command it follows
  -v, --version    the version of costlens
  --debug          an unexpected error prints its stack too (also: COSTLENS_DEBUG=1);
                   works with every command
`;

interface Command {
  help: string;
  /** Runs the command on the arguments after its name; absent for a group of subcommands. */
  run?: (args: string[], io: Io) => number | Promise<number>;
  subcommands?: Record<string, Command>;
}

const COMMANDS: Record<string, Command> = {
  start: { help: START_HELP, run: startCommand },
  demo: { help: DEMO_HELP, run: demoCommand },
  price: { help: PRICE_HELP, run: priceCommand },
  recompute: { help: RECOMPUTE_HELP, run: recomputeCommand },
  export: { help: EXPORT_HELP, run: exportCommand },
  db: {
    help: DB_HELP,
    subcommands: {
      info: { help: DB_INFO_HELP, run: dbInfo },
      clear: { help: DB_CLEAR_HELP, run: dbClear },
      vacuum: { help: DB_VACUUM_HELP, run: dbVacuum },
    },
  },
  pricing: {
    help: PRICING_HELP,
    subcommands: {
      list: { help: PRICING_LIST_HELP, run: pricingList },
      update: { help: PRICING_UPDATE_HELP, run: pricingUpdate },
    },
  },
};

const isHelpFlag = (a: string) => a === '--help' || a === '-h';

const orList = (words: string[]) =>
  words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;

/** The command the leading words name (`pricing list`), and the arguments after them. */
function find(words: string[]): { name: string; command: Command; args: string[] } {
  const [first = '', ...rest] = words;
  const top = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!top) throw new UsageError(`unknown command "${first}"; run 'costlens --help' for the list.`);
  const [sub, ...after] = rest;
  if (!top.subcommands || sub === undefined || sub.startsWith('-') || sub === 'help') {
    return { name: first, command: top, args: rest };
  }
  const command = Object.hasOwn(top.subcommands, sub) ? top.subcommands[sub] : undefined;
  if (!command) {
    const known = Object.keys(top.subcommands).map((k) => `"${k}"`);
    throw new UsageError(`${first}: unknown subcommand "${sub}"; use ${orList(known)}.`);
  }
  return { name: `${first} ${sub}`, command, args: after };
}

/** `costlens help [command [subcommand]]`. */
function help(words: string[], io: Io): number {
  const named = words.filter((w) => !isHelpFlag(w));
  if (named.length === 0) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const { name, command, args } = find(named);
  if (args.length > 0 && !(command.subcommands && args[0] === 'help')) {
    throw new UsageError(
      `${name}: unknown subcommand "${args[0]}"; run 'costlens help ${name}' for its usage.`,
    );
  }
  io.stdout.write(command.help);
  return EXIT.ok;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stdout.write(HELP);
    return EXIT.usage;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (first === 'help' || isHelpFlag(first)) return help(rest, io);
  const { name, command, args } = find(argv);
  // `costlens pricing help list` is `costlens help pricing list`.
  if (command.subcommands && args[0] === 'help') return help([name, ...args.slice(1)], io);
  if (args.some(isHelpFlag)) {
    io.stdout.write(command.help);
    return EXIT.ok;
  }
  if (!command.run) {
    io.stdout.write(command.help);
    return EXIT.usage;
  }
  return await command.run(args, io);
}

/** `--debug` anywhere in argv, or COSTLENS_DEBUG set to anything but 0 or false. */
function debugging(argv: string[], env: Io['env']): boolean {
  if (argv.includes('--debug')) return true;
  const v = env.COSTLENS_DEBUG?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

/** An error's message as one sentence: its first line, with a full stop. */
function sentence(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n')[0]!.trim() || (err instanceof Error ? err.name : 'error');
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

/** Runs one costlens command and returns its exit status; never calls process.exit. */
export async function main(argv: string[], io: Io): Promise<number> {
  const debug = debugging(argv, io.env);
  try {
    return await dispatch(
      argv.filter((a) => a !== '--debug'),
      io,
    );
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`costlens: ${err.message}\n`);
      return EXIT.usage;
    }
    // Not the user's arguments: say what failed in one sentence; the stack is for --debug.
    io.stderr.write(`costlens: ${sentence(err)}\n`);
    if (debug) io.stderr.write(`${(err instanceof Error && err.stack) || String(err)}\n`);
    return EXIT.failed;
  }
}
