// What a program embedding the collector needs: the command, the settings, and
// the app built from its parts. Everything else is internal (docs/api.md).
export type { Io } from './cli/io.js';
export { main } from './cli/main.js';
export { type AppParts, createApp } from './service/app.js';
export {
  type ApiKey,
  type Config,
  ConfigError,
  checkExposure,
  DEFAULT_CONFIG,
  loadConfig,
} from './service/config.js';
export { type BuildOptions, buildParts, closeParts } from './service/parts.js';
export { createCollectorServer } from './service/server.js';
