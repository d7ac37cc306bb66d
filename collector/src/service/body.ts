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
    return await gunzipAsync(body, {
      maxOutputLength: limit,
      chunkSize: outputChunkBytes(body, limit),
    });
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

/** Node's own piece size, for an inflation whose size is not known. */
const DEFAULT_OUTPUT_CHUNK = 16 * 1024;
/** Deflate's best ratio is 1032 to 1: a trailer giving more is not a trailer. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * Room for the whole inflated body in one buffer, when its gzip trailer (the last 4
 * bytes, the size it inflates to) can be believed; at most the limit and one byte,
 * so a bomb fills one buffer and is stopped, in place of a thousand 16 kB pieces
 * that stayed in the allocator's heap. One byte more than the size, so zlib ends
 * with room left instead of asking for another piece. A truncated body's last bytes
 * are deflate data, most often a size no deflate stream of its length can reach:
 * those get Node's 16 kB pieces (sized by them, the fuzz test's collector grew).
 * Either way only maxOutputLength decides what is too large.
 */
function outputChunkBytes(body: Buffer, limit: number): number {
  // 10 bytes of header and 8 of trailer at least; 1f 8b is the gzip magic.
  if (body.length < 18 || body[0] !== 0x1f || body[1] !== 0x8b) return DEFAULT_OUTPUT_CHUNK;
  const said = body.readUInt32LE(body.length - 4);
  if (said > (body.length - 18) * MAX_DEFLATE_RATIO) return DEFAULT_OUTPUT_CHUNK;
  return Math.min(limit + 1, Math.max(DEFAULT_OUTPUT_CHUNK, said + 1));
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
