import { readFileSync } from 'node:fs';
import { EXIT, type Io, UsageError } from './io.js';
import { PRICE_HELP, priceCommand } from './price.js';
import { pricingCommand } from './pricing.js';
import { startCommand } from './start.js';

const HELP = `costlens: know what every AI call costs

Usage: costlens <command> [options]

Commands:
  start            run the collector: OTLP in, SQLite, /metrics (costlens start --help)
  price            what one call costs: costlens price --provider openai --model gpt-4o --input-tokens 1000
  pricing list     what the price catalogue knows
  pricing update   rebuild the catalogue from newer price sources

Run 'costlens <command> --help' for a command's options.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Runs one costlens command and returns its exit status; never calls process.exit. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'price':
        return priceCommand(args, io);
      case 'pricing':
        return pricingCommand(args, io);
      case 'start':
        return await startCommand(args, io);
      case '--version':
      case '-v':
        io.stdout.write(`${version()}\n`);
        return EXIT.ok;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(args[0] === 'price' ? PRICE_HELP : HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"; run 'costlens --help' for the list.`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`costlens: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`costlens: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}
