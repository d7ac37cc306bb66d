// Cost calculation throughput: @costlens/pricing vs @pydantic/genai-prices on the
// same usages, plus each one's load time and memory in a fresh process.
// Run: scripts/run node bench/pricing.bench.js   (then node bench/publish.js)

import { loadCatalogue, pusdToUsd } from '@costlens/pricing';
import { calcPrice } from '@pydantic/genai-prices';
import { freshRuns, median, nsPerCall, save } from './lib.js';

// The same calls for both: [provider for costlens, providerId for genai-prices, model, usage].
const CALLS = [
  ['openai', 'openai', 'gpt-4o', { input: 1200, cacheRead: 1024, output: 300 }],
  ['openai', 'openai', 'gpt-4o-mini-2024-07-18', { input: 800, cacheRead: 0, output: 120 }],
  ['openai', 'openai', 'o3', { input: 5000, cacheRead: 0, output: 2000 }],
  [
    'anthropic',
    'anthropic',
    'claude-sonnet-4-5',
    { input: 30000, cacheRead: 20000, cacheWrite: 5000, output: 800 },
  ],
  [
    'anthropic',
    'anthropic',
    'claude-3-5-haiku-20241022',
    { input: 2000, cacheRead: 0, output: 400 },
  ],
  ['gcp.gemini', 'google', 'gemini-2.5-pro', { input: 250000, cacheRead: 0, output: 1000 }],
  ['gcp.gemini', 'google', 'gemini-2.5-flash', { input: 4000, cacheRead: 1000, output: 600 }],
];

const catalogue = loadCatalogue();
const ours = CALLS.map(([provider, , model, u]) => ({
  provider,
  model,
  input_tokens: u.input,
  cache_read_tokens: u.cacheRead || undefined,
  cache_write_tokens: u.cacheWrite,
  output_tokens: u.output,
}));
const theirs = CALLS.map(([, providerId, model, u]) => ({
  model,
  providerId,
  usage: {
    input_tokens: u.input,
    cache_read_tokens: u.cacheRead,
    cache_write_tokens: u.cacheWrite ?? 0,
    output_tokens: u.output,
  },
}));

// Both must price every call, and agree, or the comparison means nothing.
for (let i = 0; i < CALLS.length; i++) {
  const a = catalogue.price(ours[i]);
  const b = calcPrice(theirs[i].usage, theirs[i].model, { providerId: theirs[i].providerId });
  if (a.unpriced || !b)
    throw new Error(
      `call ${i} (${CALLS[i][2]}) is not priced by both: ${a.reason ?? 'genai-prices returned null'}`,
    );
  const usd = pusdToUsd(a.cost_pusd);
  if (Math.abs(usd - b.total_price) > 1e-9) {
    console.warn(`note: ${CALLS[i][2]}: costlens ${usd} vs genai-prices ${b.total_price}`);
  }
}

const n = CALLS.length;
const costlensNs = nsPerCall((i) => catalogue.price(ours[i % n]));
const genaiNs = nsPerCall((i) => {
  const t = theirs[i % n];
  calcPrice(t.usage, t.model, { providerId: t.providerId });
});

// Fresh processes: import time, then catalogue load (ours) or first call (theirs), and memory.
const probe = (importLine, loadLine) => `
  globalThis.gc(); const m0 = process.memoryUsage(); const t0 = performance.now();
  ${importLine}
  const t1 = performance.now();
  ${loadLine}
  const t2 = performance.now(); globalThis.gc(); const m1 = process.memoryUsage();
  console.log(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1, heapMB: (m1.heapUsed - m0.heapUsed) / 1048576, rssMB: (m1.rss - m0.rss) / 1048576 }));`;
const ourLoad = freshRuns(
  probe(
    "const { loadCatalogue } = await import('@costlens/pricing');",
    "const c = loadCatalogue(); c.price({ provider: 'openai', model: 'gpt-4o', input_tokens: 1 });",
  ),
);
const theirLoad = freshRuns(
  probe(
    "const { calcPrice } = await import('@pydantic/genai-prices');",
    "calcPrice({ input_tokens: 1 }, 'gpt-4o', { providerId: 'openai' });",
  ),
);
const summary = (runs) => ({
  importMs: median(runs.map((r) => r.importMs)),
  loadMs: median(runs.map((r) => r.loadMs)),
  heapMB: median(runs.map((r) => r.heapMB)),
  rssMB: median(runs.map((r) => r.rssMB)),
});

const result = {
  calls: CALLS.map((c) => `${c[0]} ${c[2]}`),
  catalogueModels: catalogue.size,
  priceNs: { costlens: costlensNs, genaiPrices: genaiNs, ratio: genaiNs / costlensNs },
  load: { costlens: summary(ourLoad), genaiPrices: summary(theirLoad) },
};
const file = save('pricing', result);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file.pathname}`);
