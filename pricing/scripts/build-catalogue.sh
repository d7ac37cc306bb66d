#!/usr/bin/env bash
# Rebuilds pricing/data/catalogue.json from the public price data in ../shared/pricing-sources
# (see its PROVENANCE.md for where the files come from and their as-of dates).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${PRICING_SOURCES:-$root/../shared/pricing-sources}"
exec "$root/costlens" pricing update \
  --litellm "$src/litellm_model_prices.json" --litellm-as-of 2026-07-24 \
  --genai-prices "$src/genai_prices_v2_data.json" --genai-prices-as-of 2026-08-21 \
  --out "$root/pricing/data/catalogue.json" "$@"
