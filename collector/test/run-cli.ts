import { main } from '../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a costlens command in-process and collects what it printed. */
export function runCli(...argv: string[]): Promise<CliRun> {
  return runCliWith({}, ...argv);
}

/** runCli with environment variables (COSTLENS_*): the only ones the command sees. */
export async function runCliWith(
  env: Record<string, string | undefined>,
  ...argv: string[]
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  });
  return { code, stdout, stderr };
}
