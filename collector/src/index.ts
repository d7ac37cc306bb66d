export { main } from './cli/main.js';
export type { Io } from './cli/io.js';
