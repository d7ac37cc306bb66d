import { usdToPusd } from '@costlens/pricing';

/**
 * Which provider an `openai` client is talking to, from its `baseURL`. Many
 * providers serve OpenAI's API, and an app reaches them with the openai SDK and
 * another base URL; the call is theirs and priced with their prices. Names are
 * the OpenTelemetry GenAI conventions' `gen_ai.provider.name` values where they
 * define one (`deepseek`, `groq`, `x_ai`, `mistral_ai`, `perplexity`, ...), and the
 * price catalogue's provider names otherwise (`together_ai`, `openrouter`, ...).
 * Matched by host only: each of these hosts serves one provider, whatever the path.
 */

/** Hosts of providers that serve OpenAI's API, and the path of that API as their docs give it. */
const HOSTS: Record<string, string> = {
  'api.openai.com': 'openai', // /v1
  'api.deepseek.com': 'deepseek', // / or /v1
  'api.groq.com': 'groq', // /openai/v1
  'api.x.ai': 'x_ai', // /v1
  'api.mistral.ai': 'mistral_ai', // /v1
  'api.perplexity.ai': 'perplexity', // /
  'api.anthropic.com': 'anthropic', // /v1 (Anthropic's OpenAI SDK compatibility)
  'api.cohere.ai': 'cohere', // /compatibility/v1
  'api.cohere.com': 'cohere', // /compatibility/v1
  'generativelanguage.googleapis.com': 'gcp.gemini', // /v1beta/openai
  'aiplatform.googleapis.com': 'gcp.vertex_ai', // /v1/projects/p/locations/global/endpoints/openapi
  'api.together.xyz': 'together_ai', // /v1
  'api.fireworks.ai': 'fireworks_ai', // /inference/v1
  'openrouter.ai': 'openrouter', // /api/v1
  'api.cerebras.ai': 'cerebras', // /v1
  'api.deepinfra.com': 'deepinfra', // /v1/openai
  'api.sambanova.ai': 'sambanova', // /v1
  'api.novita.ai': 'novita', // /v3/openai
  'api.hyperbolic.xyz': 'hyperbolic', // /v1
  'api.moonshot.ai': 'moonshot', // /v1
  'api.moonshot.cn': 'moonshot', // /v1
  'dashscope.aliyuncs.com': 'dashscope', // /compatible-mode/v1
  'dashscope-intl.aliyuncs.com': 'dashscope', // /compatible-mode/v1
  'api.cloudflare.com': 'cloudflare', // /client/v4/accounts/{id}/ai/v1 (Workers AI)
  'ai-gateway.vercel.sh': 'vercel_ai_gateway', // /v1
};

/** Families of hosts, one per customer resource or region. */
const HOST_SUFFIXES: [suffix: string, provider: string][] = [
  ['.openai.azure.com', 'azure.ai.openai'], // {resource}.openai.azure.com/openai/v1
  ['.cognitiveservices.azure.com', 'azure.ai.openai'], // {resource}.cognitiveservices.azure.com/openai/v1
  ['-aiplatform.googleapis.com', 'gcp.vertex_ai'], // {region}-aiplatform.googleapis.com/v1/.../endpoints/openapi
];

/**
 * Ollama listens on 11434 unless told otherwise (`OLLAMA_HOST`), on this machine
 * or another (`http://gpu-box:11434/v1`); no other well-known server defaults to it.
 * LM Studio (1234) and vLLM (8000) are not named from their ports: those
 * numbers are common defaults of unrelated servers.
 */
const OLLAMA_PORT = '11434';

/**
 * A host with no public name: loopback, an IP address, a one-label name (a
 * compose service, a LAN machine) or a private domain. What answers there with
 * OpenAI's API is a proxy, a gateway, a stand-in or a server of the app's own.
 */
function isPrivateHost(host: string): boolean {
  if (!host.includes('.') || host.startsWith('[')) return true; // localhost, `llm`, [::1]
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return true;
  return /\.(localhost|local|internal|lan|home\.arpa)$/.test(host);
}

/**
 * The provider an openai client with this base URL calls:
 * - a known provider's host: that provider (`https://api.groq.com/openai/v1` -> `groq`);
 * - port 11434: `ollama`;
 * - a host with no public name (`http://localhost:8000/v1`, `http://litellm:4000`):
 *   `openai`, the API it speaks: the conventions let the name differ from who
 *   serves the model, `server.address` and `server.port` saying where it is. Its
 *   model is priced only if it is one of OpenAI's or the price file names it;
 * - any other public host: the host itself (`llm.example.com`). The catalogue
 *   knows no such provider and prices the model at the first provider that lists
 *   it, first parties first (a gateway in front of OpenAI keeps OpenAI's prices).
 * No base URL (the SDK's default) or one that is not a URL: `openai`.
 */
export function providerOfEndpoint(baseURL: unknown): string {
  if (typeof baseURL !== 'string') return 'openai';
  let provider = known.get(baseURL);
  if (provider === undefined) {
    provider = classify(baseURL);
    // An app talks to a handful of base URLs: keep URL parsing off every call.
    if (known.size >= 64) known.clear();
    known.set(baseURL, provider);
  }
  return provider;
}

const known = new Map<string, string>();

function classify(baseURL: string): string {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return 'openai';
  }
  // A fully qualified name may end in a dot (`api.groq.com.`).
  const host = url.hostname.replace(/\.$/, '');
  const named = HOSTS[host];
  if (named) return named;
  for (const [suffix, provider] of HOST_SUFFIXES) {
    if (host.endsWith(suffix)) return provider;
  }
  if (url.port === OLLAMA_PORT) return 'ollama';
  if (isPrivateHost(host)) return 'openai';
  return host;
}

const usd = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

/**
 * What a call cost, in pUSD, as OpenRouter reports it in the response's `usage`
 * (a chat completion, or a stream's last chunk): `cost` is what the OpenRouter
 * account was charged, in credits of one USD; with the app's own provider key
 * (`is_byok`), `cost_details.upstream_inference_cost` is what that provider
 * charged besides. Nothing when the usage carries no cost.
 */
export function openRouterCostPusd(usage: unknown): number | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const u = usage as Record<string, unknown>;
  const cost = usd(u.cost);
  if (cost === undefined) return undefined;
  const details = u.cost_details as Record<string, unknown> | null | undefined;
  const upstream = u.is_byok === true ? usd(details?.upstream_inference_cost) : undefined;
  return usdToPusd(cost) + (upstream === undefined ? 0 : usdToPusd(upstream));
}
