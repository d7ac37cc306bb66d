#!/usr/bin/env bash
# Rebuilds pricing/data/catalogue.json from the public price files kept in pricing/sources/
# (see pricing/sources/README.md for where they come from and their as-of dates).
# PRICING_SOURCES=DIR builds from other copies of the same two files instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${PRICING_SOURCES:-$root/pricing/sources}"
exec "$root/costlens" pricing update \
  --litellm "$src/litellm_model_prices.json" --litellm-as-of 2026-07-24 \
  --genai-prices "$src/genai_prices_v2_data.json" --genai-prices-as-of 2026-08-21 \
  --out "$root/pricing/data/catalogue.json" "$@"
