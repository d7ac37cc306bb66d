import { type FakeGoogle, type GenAI, googleTestbed, resetGoogleTestbed } from './fake-google.js';
import { type Telemetry, useTestbed } from './harness.js';

// What the @google/genai test files share: one fake server, telemetry with the
// SDK patched, and real Gemini API and Vertex AI clients of it per file.

export interface GoogleBed {
  server: FakeGoogle;
  t: Telemetry;
  gemini: GenAI;
  vertex: GenAI;
}

/** The fake Google server and its clients for this file; filled in before its tests run. */
export function useGoogle(): GoogleBed {
  const bed = {} as GoogleBed;
  useTestbed(googleTestbed, (started) => Object.assign(bed, started), resetGoogleTestbed);
  return bed;
}

/** The server attributes of every span of a call to the fake server. */
export const at = (bed: GoogleBed) => ({
  'server.address': '127.0.0.1',
  'server.port': bed.server.port,
});

/** The path of the last request the fake server got. */
export const lastPath = (bed: GoogleBed) => bed.server.requests.at(-1)?.path ?? '';

/** The attributes every span of a generate_content text call to `model` starts with. */
export const textCall = (
  bed: GoogleBed,
  { model = 'gemini-2.5-flash', provider = 'gcp.gemini', stream = false } = {},
) => ({
  'gen_ai.operation.name': 'generate_content',
  'gen_ai.provider.name': provider,
  'gen_ai.request.model': model,
  ...(stream ? { 'gen_ai.request.stream': true } : {}),
  ...at(bed),
});
