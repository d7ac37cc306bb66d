import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** An HTTP answer with a status and a sentence; nothing was stored. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Reads the request body, refusing it once it passes `limit` bytes (before and after gunzip). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError(
      413,
      `request body of ${declared} bytes is larger than the limit of ${limit} bytes`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) {
      req.resume();
      throw new HttpError(413, `request body is larger than the limit of ${limit} bytes`);
    }
    chunks.push(b);
  }
  const body = Buffer.concat(chunks, size);
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .toLowerCase()
    .trim();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip') {
    throw new HttpError(
      415,
      `Content-Encoding "${encoding}" is not supported; send gzip or no encoding`,
    );
  }
  try {
    // maxOutputLength stops a gzip bomb before it allocates more than the limit.
    return await gunzipAsync(body, { maxOutputLength: limit });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (err as Error) instanceof RangeError) {
      throw new HttpError(
        413,
        `request body is larger than the limit of ${limit} bytes once decompressed`,
      );
    }
    throw new HttpError(400, `request body is not valid gzip: ${(err as Error).message}`);
  }
}

export type BodyKind = 'protobuf' | 'json';

/** application/x-protobuf or application/json (parameters such as charset allowed); anything else is 415. */
export function bodyKind(contentType: string | undefined): BodyKind {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new HttpError(
    415,
    `Content-Type "${contentType ?? ''}" is not supported; OTLP/HTTP sends application/x-protobuf or application/json`,
  );
}
