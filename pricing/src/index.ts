export { normalizeSize, USAGE_COUNTS } from './calculate.js';
export type { ListOptions, Match } from './catalogue.js';
export { BUNDLED_CATALOGUE_PATH, Catalogue, loadCatalogue } from './catalogue.js';
export {
  CALL_TYPE_OF_OPERATION,
  OPERATION_DURATION_BUCKETS,
  TOKEN_USAGE_BUCKETS,
} from './conventions.js';
export { describePrice, describePrices, PRICE_KINDS, type PriceKind } from './describe.js';
export { candidateNames, normalizeProvider, providerChain, stripRouting } from './model-id.js';
export {
  breakdownToUsd,
  formatUsd,
  MoneySum,
  PUSD_PER_USD,
  pusdToUsd,
  usdToPusd,
} from './money.js';
export type { Discount, ModelOverride, Overrides } from './overrides.js';
export {
  applyOverrides,
  OverrideFileError,
  parseOverrides,
  readOverrides,
} from './overrides.js';
export { pricesAt } from './rates.js';
export type * from './types.js';
export { TOKEN_KINDS } from './types.js';
export {
  fromAnthropicUsage,
  fromGeminiUsage,
  fromOpenAIUsage,
  inputIncludesCache,
  isUnbilledFailure,
} from './usage.js';
