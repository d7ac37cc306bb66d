import {
  breakdownToUsd,
  type CostBreakdown,
  formatUsd,
  type PriceRequest,
  type PriceResult,
  pusdToUsd,
} from '@costlens/pricing';
import { bool, count, date, oneOf, parse, seconds, size } from './args.js';
import { openCatalogue } from './catalogue.js';
import { EXIT, type Io, UsageError } from './io.js';

export const PRICE_HELP = `costlens price: what one AI call costs

Usage: costlens price --provider P --model M [usage] [--at DATE] [--prices FILE] [--json]

  --provider P               gen_ai.provider.name: openai, anthropic, gcp.gemini, gcp.vertex_ai, ...
  --model M                  the model as the API names it (snapshots and prefixes are understood)
  --input-tokens N           every input token, cached ones included
  --output-tokens N          every output token, reasoning tokens included
  --cache-read-tokens N      how many input tokens were cache reads
  --cache-write-tokens N     how many input tokens were 5-minute cache writes
  --cache-write-1h-tokens N  how many input tokens were 1-hour cache writes
  --reasoning-tokens N       how many output tokens were reasoning
  --images N                 images generated
  --image-size WxH           e.g. 1024x1536
  --image-quality Q          low, medium, high, standard, hd
  --image-resolution R       1K, 2K or 4K
  --video-seconds S          seconds of video generated
  --video-resolution R       720p, 1080p or 4k
  --video-size WxH           e.g. 1280x720 (Sora)
  --video-audio true|false   whether the video has sound
  --at DATE                  price in force at this ISO date (default: now)
  --prices FILE              a price override file (JSON or YAML)
  --catalogue FILE           a catalogue other than the bundled one
  --json                     one JSON object instead of text

Exit status: 0 priced, 3 unpriced (the reason is printed), 2 bad arguments.
`;

const OPTIONS = {
  provider: { type: 'string' },
  model: { type: 'string' },
  'input-tokens': { type: 'string' },
  'output-tokens': { type: 'string' },
  'cache-read-tokens': { type: 'string' },
  'cache-write-tokens': { type: 'string' },
  'cache-write-1h-tokens': { type: 'string' },
  'reasoning-tokens': { type: 'string' },
  images: { type: 'string' },
  'image-size': { type: 'string' },
  'image-quality': { type: 'string' },
  'image-resolution': { type: 'string' },
  'video-seconds': { type: 'string' },
  'video-resolution': { type: 'string' },
  'video-size': { type: 'string' },
  'video-audio': { type: 'string' },
  at: { type: 'string' },
  prices: { type: 'string' },
  catalogue: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const LABELS: [keyof CostBreakdown, string][] = [
  ['input', 'input'],
  ['cache_read', 'cache read'],
  ['cache_write', 'cache write'],
  ['output', 'output'],
  ['reasoning', 'reasoning'],
  ['media', 'media'],
];

function request(v: ReturnType<typeof parse<typeof OPTIONS>>): PriceRequest {
  if (!v.model) throw new UsageError('price: --model is required, e.g. --model gpt-4o.');
  const req: PriceRequest = {
    model: v.model,
    provider: v.provider,
    input_tokens: count('input-tokens', v['input-tokens']),
    output_tokens: count('output-tokens', v['output-tokens']),
    cache_read_tokens: count('cache-read-tokens', v['cache-read-tokens']),
    cache_write_tokens: count('cache-write-tokens', v['cache-write-tokens']),
    cache_write_1h_tokens: count('cache-write-1h-tokens', v['cache-write-1h-tokens']),
    reasoning_tokens: count('reasoning-tokens', v['reasoning-tokens']),
    images: count('images', v.images),
    image_size: size('image-size', v['image-size']),
    image_quality: v['image-quality']?.trim().toLowerCase(),
    image_resolution: oneOf('image-resolution', v['image-resolution'], ['1K', '2K', '4K']),
    video_seconds: seconds('video-seconds', v['video-seconds']),
    video_resolution: oneOf('video-resolution', v['video-resolution'], ['720p', '1080p', '4k']),
    video_size: size('video-size', v['video-size']),
    video_audio: bool('video-audio', v['video-audio']),
    at: date('at', v.at),
  };
  for (const k of Object.keys(req) as (keyof PriceRequest)[])
    if (req[k] === undefined) delete req[k];
  return req;
}

function text(req: PriceRequest, r: PriceResult): string {
  if (r.unpriced) return `unpriced: ${r.reason}\n`;
  const breakdown = breakdownToUsd(r.breakdown_pusd);
  const lines = [`${r.model.provider} ${r.model.id}  (prices: ${r.source})`];
  for (const [k, label] of LABELS) {
    if (breakdown[k] !== 0) lines.push(`  ${label.padEnd(12)} $${formatUsd(breakdown[k])}`);
  }
  if (r.tier_above !== undefined)
    lines.push(`  (long-context prices: input above ${r.tier_above} tokens)`);
  lines.push(`  ${'total'.padEnd(12)} $${formatUsd(pusdToUsd(r.cost_pusd))}`);
  if (req.model.toLowerCase() !== r.model.id) lines[0] += `  [asked for ${req.model}]`;
  return `${lines.join('\n')}\n`;
}

/** The --json answer: the result with its money in USD (cost_usd is null when unpriced). */
function json(r: PriceResult): string {
  return JSON.stringify({
    unpriced: r.unpriced,
    cost_usd: r.unpriced ? null : pusdToUsd(r.cost_pusd),
    breakdown: r.unpriced ? null : breakdownToUsd(r.breakdown_pusd),
    source: r.source,
    model: r.model,
    ...(r.unpriced || r.tier_above === undefined ? {} : { tier_above: r.tier_above }),
    reason: r.reason,
  });
}

export function priceCommand(args: string[], io: Io): number {
  const v = parse('price', args, OPTIONS);
  const req = request(v);
  const catalogue = openCatalogue({ catalogue: v.catalogue, prices: v.prices });
  let result: PriceResult;
  try {
    result = catalogue.price(req);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`price: ${err.message}.`);
    throw err;
  }
  if (v.json) {
    io.stdout.write(`${json(result)}\n`);
  } else if (result.unpriced) {
    io.stderr.write(text(req, result));
  } else {
    io.stdout.write(text(req, result));
  }
  return result.unpriced ? EXIT.unpriced : EXIT.ok;
}
