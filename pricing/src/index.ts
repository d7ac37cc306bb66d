export { Catalogue, loadCatalogue, BUNDLED_CATALOGUE_PATH } from './catalogue.js';
export type { ListOptions, Match } from './catalogue.js';
export { normalizeSize } from './calculate.js';
export { formatUsd, MoneySum, pusdToUsd, usdToPusd, PUSD_PER_USD } from './money.js';
export { candidateNames, normalizeProvider, providerChain } from './model-id.js';
export {
  applyOverrides,
  OverrideFileError,
  parseOverrides,
  readOverrides,
} from './overrides.js';
export type { Discount, ModelOverride, Overrides } from './overrides.js';
export { fromAnthropicUsage, fromGeminiUsage, fromOpenAIUsage, inputIncludesCache } from './usage.js';
export type * from './types.js';
