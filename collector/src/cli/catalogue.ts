import {
  applyOverrides,
  type Catalogue,
  loadCatalogue,
  OverrideFileError,
  readOverrides,
} from '@costlens/pricing';
import { UsageError } from './io.js';

/** The catalogue a command prices with: the bundled one (or --catalogue), with the user's price file laid over it. */
export function openCatalogue(opts: { catalogue?: string; prices?: string }): Catalogue {
  let catalogue: Catalogue;
  try {
    catalogue = loadCatalogue(opts.catalogue);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}.`);
  }
  if (opts.prices === undefined) return catalogue;
  try {
    return applyOverrides(catalogue, readOverrides(opts.prices));
  } catch (err) {
    if (err instanceof OverrideFileError) throw new UsageError(`price file ${err.message}`);
    throw err;
  }
}
