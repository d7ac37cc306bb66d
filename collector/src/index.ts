export type { Io } from './cli/io.js';
export { main } from './cli/main.js';
