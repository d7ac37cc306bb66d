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

/**
 * Reads the request body, refusing it once it passes `limit` bytes (before and
 * after gunzip), or with a 408 when it has not all arrived within `timeoutMs`: a
 * client that sends headers and then goes quiet holds nothing for long.
 */
export async function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs = Infinity,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError(
      413,
      `request body of ${declared} bytes is larger than the limit of ${limit} bytes`,
    );
  }
  const { chunks, size } = await collect(req, limit, timeoutMs);
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

/** The body's chunks as they arrive, within the size limit and the time allowed. */
function collect(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err === null) resolve({ chunks, size });
      else {
        // Too large: let the rest drain so the client reads the 413. Too slow: read
        // nothing more; the 408 closes the connection.
        if (err instanceof HttpError && err.status === 413) req.resume();
        else req.pause();
        reject(err);
      }
    };
    const onData = (b: Buffer) => {
      size += b.length;
      if (size > limit)
        done(new HttpError(413, `request body is larger than the limit of ${limit} bytes`));
      else chunks.push(b);
    };
    const onEnd = () => done(null);
    // The client went away mid-body: its request, not the collector, failed.
    const onError = (err: Error) =>
      done(new HttpError(400, `the request body could not be read: ${err.message}`));
    const onClose = () =>
      done(new HttpError(400, 'the client closed the request before its body ended'));
    const timer =
      timeoutMs === Infinity
        ? undefined
        : setTimeout(
            () =>
              done(
                new HttpError(
                  408,
                  `the request body did not arrive within ${timeoutMs} ms (body_timeout_ms); nothing was stored`,
                ),
              ),
            timeoutMs,
          );
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
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
