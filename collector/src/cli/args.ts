import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into sentences for the user. */
export function parse<O extends Options>(
  command: string,
  args: string[],
  options: O,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>['values'] {
  // `--input-tokens -5` is a negative value to refuse with its own message, not a missing one.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${a}=${next}`);
      i++;
    } else {
      joined.push(a);
    }
  }
  try {
    return parseArgs({ args: joined, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const msg = (err as Error).message
      .replace(/\s*To specify a positional argument.*$/s, '')
      .replace(/\.\s*$/, '')
      .split('\n')[0];
    throw new UsageError(`${command}: ${msg}. See 'costlens ${command} --help'.`);
  }
}

export function count(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()))
    throw new UsageError(`--${flag} must be a whole number >= 0, got "${raw}".`);
  return Number(raw);
}

export function seconds(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < 0) {
    throw new UsageError(`--${flag} must be a number of seconds >= 0, got "${raw}".`);
  }
  return v;
}

export function oneOf(
  flag: string,
  raw: string | undefined,
  allowed: string[],
): string | undefined {
  if (raw === undefined) return undefined;
  const hit = allowed.find((a) => a.toLowerCase() === raw.trim().toLowerCase());
  if (!hit) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${raw}".`);
  return hit;
}

export function bool(flag: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  throw new UsageError(`--${flag} must be true or false, got "${raw}".`);
}

export function size(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const m = /^\s*(\d+)\s*[xX]\s*(\d+)\s*$/.exec(raw);
  if (!m) throw new UsageError(`--${flag} must be WIDTHxHEIGHT like 1024x1536, got "${raw}".`);
  return `${m[1]}x${m[2]}`;
}

export function date(flag: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const d = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(d.getTime())) {
    throw new UsageError(
      `--${flag} must be an ISO date like 2026-03-01 or 2026-03-01T12:00:00Z, got "${raw}".`,
    );
  }
  return d;
}
