/**
 * How a model name written by an app or an SDK finds its catalogue entry:
 * explicit rewrites only, tried in order, never a substring search.
 */

/** Path segments that name where a model is served, not which model it is, as apps and SDKs write them. */
const ROUTES = new Set([
  'models',
  'gemini',
  'vertex_ai',
  'google',
  'openai',
  'anthropic',
  'azure',
  'bedrock',
  'cloudflare',
]);

const isKnownRoute = (segment: string) => ROUTES.has(segment);

/** Bedrock ARNs that name a model or an inference profile; the id follows the slash. */
const BEDROCK_ARN =
  /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:(?:foundation-model|inference-profile|system-defined-inference-profile)\/(.+)$/;

/** Bedrock cross-region inference profiles: `us.anthropic.claude-...`. */
const BEDROCK_REGION = /^(?:us|eu|apac|us-gov|global|jp|au|ca)\.(?=[a-z0-9-]+\.)/;

/** Snapshot suffixes that name a dated release of the same model. */
const SNAPSHOT_SUFFIXES = [
  /-\d{4}-\d{2}-\d{2}$/, // gpt-4o-2024-08-06
  /-\d{8}$/, // claude-3-5-sonnet-20241022
  /@\d{8}$/, // Vertex AI: claude-3-5-sonnet-v2@20241022
  /@\d{3}$/, // Vertex AI: gemini-1.0-pro@001
  /-latest$/, // claude-3-5-haiku-latest
  /-\d{4}$/, // gpt-4-0613, gpt-3.5-turbo-0125
  /-\d{3}$/, // gemini-1.5-pro-002
];

/** Lower-cased, trimmed; the form every catalogue key is stored in. */
export function normalizeModelName(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * `name` without what says where the model is served: a Vertex AI resource path
 * (`projects/p/locations/l/publishers/google/models/x` -> `x`) or a Bedrock model or
 * inference profile ARN (`arn:aws:bedrock:...:inference-profile/x` -> `x`), then the routing
 * segments in front of the model (`vertex_ai/google/gemini-2.5-pro` -> `gemini-2.5-pro`).
 * `isRoute` says which segments route: by default those apps and SDKs write
 * (`models/`, `gemini/`, `openai/`, ...); the catalogue build passes "names the
 * provider of this source entry". Each route is removed once, so a model id that
 * repeats its router's name keeps it (`openrouter/openrouter/auto` -> `openrouter/auto`),
 * and the last segment is never removed (`models/` stays).
 */
export function stripRouting(
  name: string,
  isRoute: (segment: string) => boolean = isKnownRoute,
): string {
  let m = name;
  // Vertex AI resource names: projects/p/locations/l/publishers/google/models/x, publishers/google/models/x.
  const resource = m.lastIndexOf('/models/');
  if (resource >= 0 && (m.startsWith('projects/') || m.startsWith('publishers/'))) {
    m = m.slice(resource + '/models/'.length);
  }
  // arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-... -> the profile id.
  m = BEDROCK_ARN.exec(m)?.[1] ?? m;
  const removed = new Set<string>();
  for (let slash = m.indexOf('/'); slash >= 0 && slash < m.length - 1; slash = m.indexOf('/')) {
    const segment = m.slice(0, slash);
    if (removed.has(segment) || !isRoute(segment)) break;
    removed.add(segment);
    m = m.slice(slash + 1);
  }
  return m;
}

/**
 * The names to look up for `model`, most specific first: as written, without
 * routing prefixes, without a Bedrock region, without a snapshot suffix.
 */
export function candidateNames(model: string): string[] {
  const out: string[] = [];
  const add = (n: string) => {
    if (n && !out.includes(n)) out.push(n);
  };
  const exact = normalizeModelName(model);
  add(exact);
  const bare = stripRouting(exact);
  add(bare);
  const regionless = bare.replace(BEDROCK_REGION, '');
  add(regionless);
  for (const base of [bare, regionless]) {
    for (const suffix of SNAPSHOT_SUFFIXES) {
      if (suffix.test(base)) {
        add(base.replace(suffix, ''));
        break;
      }
    }
  }
  return out;
}

/** Providers whose price lists stand in for each other, in the order they are tried. */
const PROVIDER_FAMILIES: Record<string, string[]> = {
  'gcp.gemini': ['gcp.gemini', 'gcp.vertex_ai'],
  'gcp.vertex_ai': ['gcp.vertex_ai', 'gcp.gemini'],
  'gcp.gen_ai': ['gcp.gemini', 'gcp.vertex_ai'],
  'azure.ai.openai': ['azure.ai.openai', 'openai'],
};

/** First parties come first when a call names no provider (or one the catalogue does not know). */
export const FIRST_PARTIES = [
  'openai',
  'anthropic',
  'gcp.gemini',
  'gcp.vertex_ai',
  'aws.bedrock',
  'azure.ai.openai',
  'mistral_ai',
  'cohere',
  'deepseek',
  'x_ai',
  'groq',
  'perplexity',
  'cloudflare',
];

/** Older and foreign spellings of provider names, mapped to the conventions' names. */
const PROVIDER_ALIASES: Record<string, string> = {
  google: 'gcp.gemini',
  gemini: 'gcp.gemini',
  vertex_ai: 'gcp.vertex_ai',
  vertexai: 'gcp.vertex_ai',
  'az.ai.openai': 'azure.ai.openai',
  azure: 'azure.ai.openai',
  bedrock: 'aws.bedrock',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  xai: 'x_ai',
  'x-ai': 'x_ai',
  'cloudflare-workers-ai': 'cloudflare',
  workers_ai: 'cloudflare',
};

export function normalizeProvider(provider: string): string {
  const p = provider.trim().toLowerCase();
  return PROVIDER_ALIASES[p] ?? p;
}

/** The providers to search, in order; `known` is every provider the catalogue has. */
export function providerChain(provider: string | undefined, known: readonly string[]): string[] {
  if (provider !== undefined && provider !== '') {
    const p = normalizeProvider(provider);
    if (known.includes(p)) return (PROVIDER_FAMILIES[p] ?? [p]).filter((x) => known.includes(x));
  }
  const first = FIRST_PARTIES.filter((p) => known.includes(p));
  return [...first, ...known.filter((p) => !first.includes(p)).sort()];
}
