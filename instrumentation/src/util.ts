/** Small helpers shared by the call lifecycle and the provider patches. */

/** Things that look like credentials, masked wherever text from a provider is recorded. */
const SECRETS = [
  /\bsk-[A-Za-z0-9_-]{6,}/g, // OpenAI and Anthropic keys
  /\bAIza[A-Za-z0-9_-]{20,}/g, // Google API keys
  /\bya29\.[A-Za-z0-9._-]{10,}/g, // Google OAuth access tokens
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
];

export function redact(text: string): string {
  let out = text;
  for (const re of SECRETS) out = out.replace(re, (m) => `${m.slice(0, 4)}…[redacted]`);
  return out;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * Characters of a streamed completion kept past `maxContentChars`: enough for
 * `truncate` to still mark the cut and for a credential lying across the cut to
 * be whole enough for `redact` (its longest pattern needs 24).
 */
const STREAM_TEXT_MARGIN = 64;

/**
 * How much of a streamed completion a call keeps: nothing when content capture
 * is off, else what the recorded completion can hold. A stream's text is never
 * held in full.
 */
export function streamTextLimit(config: {
  captureMessageContent: boolean;
  maxContentChars: number;
}): number {
  return config.captureMessageContent ? config.maxContentChars + STREAM_TEXT_MARGIN : 0;
}

/** `text` and `more`, cut at `limit` characters. */
export function appendCapped(text: string, more: string, limit: number): string {
  if (text.length >= limit) return text;
  const out = text + more;
  return out.length > limit ? out.slice(0, limit) : out;
}

/** The error's class name (`RateLimitError`, `APIUserAbortError`): low-cardinality and reliable. */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const name = error.constructor?.name;
    return name && name !== 'Object' ? name : error.name || 'Error';
  }
  return typeof error === 'string' ? 'Error' : '_OTHER';
}

export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return redact(text);
}

/** Prompt or completion content as text: strings as they are, anything else as JSON. */
export function contentText(content: unknown): string | undefined {
  if (content === undefined || content === null) return undefined;
  if (typeof content === 'string') return redact(content);
  try {
    return redact(JSON.stringify(content));
  } catch {
    return undefined;
  }
}

type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object';

export const asString = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

export const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

type Server = { serverAddress?: string; serverPort?: number };

// An app talks to a handful of base URLs: parsing each once keeps URL parsing off every call.
const servers = new Map<string, Server>();

/** `server.address` and `server.port` of a base URL; nothing when it is not a URL. */
export function serverOf(baseURL: unknown): Server {
  if (typeof baseURL !== 'string') return {};
  let server = servers.get(baseURL);
  if (server) return server;
  try {
    const url = new URL(baseURL);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    server = { serverAddress: url.hostname, serverPort: port };
  } catch {
    server = {};
  }
  if (servers.size >= 64) servers.clear();
  servers.set(baseURL, server);
  return server;
}
