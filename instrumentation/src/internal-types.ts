import type { CallTracker } from './call.js';
import type { Patcher } from './patcher.js';

/** What a provider's patch gets from the instrumentation. */
export interface PatchKit {
  patcher: Patcher;
  /** The tracker while the instrumentation is enabled; undefined when the wrapped SDK must run untouched. */
  tracker(): CallTracker | undefined;
}

/** One SDK package: its module name, the versions patched, and the patch. */
export interface ProviderModule {
  /** The npm package name, as required or imported. */
  name: string;
  /** semver ranges of the package that the patch knows. */
  versions: string[];
  /** Patches the SDK's classes reachable from the module's exports. */
  patch(moduleExports: unknown, kit: PatchKit): void;
}
