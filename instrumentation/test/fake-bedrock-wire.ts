import { crc32 } from 'node:zlib';

/**
 * Amazon's event stream framing (`application/vnd.amazon.eventstream`), the
 * binary format Bedrock streams in: each message is
 *
 *   total length (u32) | headers length (u32) | CRC32 of those 8 bytes
 *   headers: name length (u8), name, value type (u8, 7 = string), value length (u16), value
 *   payload
 *   CRC32 of everything before it
 *
 * all big-endian. Written here from the format's description so the tests feed
 * the real SDK's decoder bytes it checks (lengths and both checksums).
 */

const STRING = 7;

export function encodeMessage(headers: Record<string, string>, payload: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const h = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(STRING, 1 + n.length);
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    parts.push(h);
  }
  const headerBytes = Buffer.concat(parts);
  const total = 12 + headerBytes.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, 12);
  Buffer.from(payload).copy(message, 12 + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}

/** An event of a stream: `:event-type` names the member (messageStart, chunk, metadata...). */
export function eventMessage(eventType: string, body: unknown): Buffer {
  return encodeMessage(
    { ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify(body), 'utf8'),
  );
}

/** An error in the middle of a stream (throttlingException, modelStreamErrorException...). */
export function exceptionMessage(exceptionType: string, message: string): Buffer {
  return encodeMessage(
    {
      ':exception-type': exceptionType,
      ':content-type': 'application/json',
      ':message-type': 'exception',
    },
    Buffer.from(JSON.stringify({ message }), 'utf8'),
  );
}

/** InvokeModelWithResponseStream's frame: the model's own JSON chunk, base64 in `bytes`. */
export function chunkMessage(modelChunk: unknown): Buffer {
  const bytes = Buffer.from(JSON.stringify(modelChunk), 'utf8').toString('base64');
  return eventMessage('chunk', { bytes });
}
