import { DecodeError } from './types.js';

/**
 * The protobuf wire format, read directly: OTLP needs a handful of messages,
 * and a reader over the body's bytes (no generated classes, no intermediate
 * objects) is both small and fast.
 *
 * Representation choices, shared by every decoder built on it:
 * - lengths, tags and enums are numbers; a varint is at most 10 bytes and may
 *   not carry bits beyond 64;
 * - fixed64 (timestamps) is an exact bigint of nanoseconds;
 * - int64 is a number when it is a safe integer and an exact bigint otherwise;
 * - strings are decoded as UTF-8 with invalid sequences replaced by U+FFFD, the
 *   way the JSON path decodes its body: a stray byte in a prompt must not cost
 *   the whole batch its records.
 */

/** Wire types. Groups (3 start, 4 end) are deprecated, unused by OTLP and refused. */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

/**
 * A cursor over one protobuf body. Nested messages are read in place:
 * `enter()` narrows `end` to the embedded message and returns the enclosing
 * end, `leave()` restores it, so decoding allocates nothing per message.
 * Every read checks `end`: nothing is read past a message or the body, and no
 * claimed length is trusted before it is compared with the bytes that remain.
 */
export class WireReader {
  pos = 0;
  /** End (exclusive) of the message being read. */
  end: number;
  private readonly bytes: Buffer;
  private readonly view: DataView;

  constructor(body: Uint8Array) {
    // A Buffer over the same memory (no copy) for its native UTF-8 and hex decoders.
    this.bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.end = body.byteLength;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string, at: number = this.pos): never {
    throw new DecodeError(`${what} at byte ${at}`, at);
  }

  /** The next field's tag: field number << 3 | wire type; read them with `>>> 3` and `& 7`. */
  tag(): number {
    const at = this.pos;
    const b = this.pos < this.end ? this.bytes[this.pos]! : -1;
    let tag: number;
    if (b >= 0 && b < 0x80) {
      this.pos++;
      tag = b;
    } else {
      tag = this.varint();
      // Field numbers stop at 2^29 - 1, so every valid tag fits 32 bits.
      if (tag > 0xffffffff) this.fail(`field number ${Math.floor(tag / 8)} out of range`, at);
    }
    const wire = tag & 7;
    if (tag >>> 3 === 0) this.fail('field number 0', at);
    if (wire !== VARINT && wire !== I64 && wire !== LEN && wire !== I32) {
      this.fail(
        wire === 3 || wire === 4
          ? `field ${tag >>> 3} is a group (wire type ${wire}), which OTLP does not use`
          : `field ${tag >>> 3} has invalid wire type ${wire}`,
        at,
      );
    }
    return tag;
  }

  /** Fails unless a known field arrived with the wire type its declaration needs. */
  want(tag: number, wire: number, message: string): void {
    if ((tag & 7) !== wire) {
      this.fail(`${message} field ${tag >>> 3} has wire type ${tag & 7}, expected ${wire}`);
    }
  }

  /**
   * An unsigned varint as a number: exact below 2^53, which covers every length,
   * tag and count a body can hold; larger values (only ever invalid lengths or
   * tags) come out approximate but still larger than any valid one.
   */
  varint(): number {
    const start = this.pos;
    const { bytes, end } = this;
    let pos = start;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.fail('truncated varint', start);
      const b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (i === 9 && b > 1) this.fail('varint overflows 64 bits', start);
        this.pos = pos;
        return value;
      }
      scale *= 128;
    }
    this.fail('varint longer than 10 bytes', start);
  }

  /** A varint's low 32 bits as a signed integer: enums and int32 (negatives are sign-extended to 10 bytes). */
  int32(): number {
    const start = this.pos;
    const { bytes, end } = this;
    let pos = start;
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.fail('truncated varint', start);
      const b = bytes[pos++]!;
      // Bits past 32 fall off the shift, which is exactly int32 truncation.
      if (i < 5) value |= (b & 0x7f) << (7 * i);
      if (b < 0x80) {
        if (i === 9 && b > 1) this.fail('varint overflows 64 bits', start);
        this.pos = pos;
        return value | 0;
      }
    }
    this.fail('varint longer than 10 bytes', start);
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** A full unsigned 64-bit varint, exact. */
  uint64(): bigint {
    const start = this.pos;
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint', start);
      const b = this.bytes[this.pos++]!;
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) {
        if (i === 9 && b > 1) this.fail('varint overflows 64 bits', start);
        return value;
      }
    }
    this.fail('varint longer than 10 bytes', start);
  }

  /** int64 (two's complement varint): a number when it is a safe integer, else an exact bigint. */
  int64(): number | bigint {
    const start = this.pos;
    // Up to 7 bytes is below 2^49: exact and non-negative as a number, no bigint needed.
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) this.fail('truncated varint', start);
      const b = this.bytes[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    this.pos = start;
    const signed = BigInt.asIntN(64, this.uint64());
    return signed >= -MAX_SAFE && signed <= MAX_SAFE ? Number(signed) : signed;
  }

  fixed32(): number {
    this.need(4, 'fixed32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64(): bigint {
    this.need(8, 'fixed64');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length prefix, checked against what remains of the current message. */
  length(): number {
    const at = this.pos;
    const len = this.varint();
    if (len > this.end - this.pos) {
      this.fail(
        `length ${len} runs past the end of its message (${this.end - this.pos} bytes left)`,
        at,
      );
    }
    return len;
  }

  string(): string {
    const len = this.length();
    const s = this.pos;
    this.pos += len;
    if (len === 0) return '';
    return len <= INTERN_MAX_BYTES
      ? interned(this.bytes, s, this.pos)
      : this.bytes.toString('utf8', s, this.pos);
  }

  /** A bytes field copied out, so a kept value does not pin the whole request body. */
  bytesCopy(): Uint8Array {
    const len = this.length();
    const out = new Uint8Array(len);
    out.set(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }

  /** A bytes field as lower-case hex (trace and span ids). */
  hex(): string {
    const len = this.length();
    const s = this.pos;
    this.pos += len;
    return len === 0 ? '' : this.bytes.toString('hex', s, this.pos);
  }

  /** Steps into an embedded message; returns the enclosing end for `leave`. */
  enter(): number {
    const len = this.length();
    const outer = this.end;
    this.end = this.pos + len;
    return outer;
  }

  /** Steps out of an embedded message read to its end. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /** Skips a field this reader does not use, so unknown and newer fields pass through. */
  skip(tag: number): void {
    switch (tag & 7) {
      case VARINT:
        this.varint();
        break;
      case I64:
        this.need(8, '64-bit field');
        this.pos += 8;
        break;
      case LEN: {
        // Not `this.pos += this.length()`: that reads pos before length() advances it past the prefix.
        const len = this.length();
        this.pos += len;
        break;
      }
      default:
        this.need(4, '32-bit field');
        this.pos += 4;
    }
  }

  /** Checks that a message's fields are well framed without decoding them. */
  skipMessage(): void {
    const outer = this.enter();
    while (this.pos < this.end) this.skip(this.tag());
    this.leave(outer);
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      this.fail(`truncated ${what} (${n} bytes needed, ${this.end - this.pos} left)`);
    }
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// Short strings repeat in every span: attribute keys, model and provider names,
// span and scope names, users. Decoding them costs a call into C++ per string and
// gives a fresh string each time, which V8 must then look up in its string table
// when it becomes a property key. A small direct-mapped table from bytes to the
// string decoded from them skips both: the same bytes always decode to the same
// string, so a hit is exact, and the table's size is fixed (SLOTS * MAX bytes).
const INTERN_MAX_BYTES = 64;
const INTERN_SLOTS = 4096;
const internBytes = new Uint8Array(INTERN_SLOTS * INTERN_MAX_BYTES);
const internLength = new Int32Array(INTERN_SLOTS);
const internString: (string | undefined)[] = new Array(INTERN_SLOTS).fill(undefined);

/** bytes[start, end) as UTF-8 (end - start <= INTERN_MAX_BYTES), from the table when it holds those bytes. */
function interned(bytes: Buffer, start: number, end: number): string {
  const len = end - start;
  // The slot from the length and five of the bytes (the first, the middle, and the
  // last three, where keys, models and users differ most), not all of them: the
  // comparison below is exact, so a weak hash costs only a miss, and a miss costs
  // what no table would.
  let h = Math.imul(
    len ^ (bytes[end - 1]! << 8) ^ (bytes[start + (len >> 1)]! << 16) ^ (bytes[start]! << 24),
    0x9e3779b1,
  );
  if (len > 2) h = Math.imul(h ^ bytes[end - 2]! ^ (bytes[end - 3]! << 8), 0x85ebca6b);
  const slot = (h ^ (h >>> 16)) & (INTERN_SLOTS - 1);
  const base = slot * INTERN_MAX_BYTES;
  const cached = internString[slot];
  if (cached !== undefined && internLength[slot] === len) {
    let i = 0;
    while (i < len && internBytes[base + i] === bytes[start + i]) i++;
    if (i === len) return cached;
  }
  const decoded = bytes.toString('utf8', start, end);
  for (let i = 0; i < len; i++) internBytes[base + i] = bytes[start + i]!;
  internLength[slot] = len;
  internString[slot] = decoded;
  return decoded;
}
