import { DecodeError } from './types.js';

/** Protobuf wire types. Groups (3, 4) are not used by OTLP and are refused. */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads protobuf's wire format within [pos, end) of a buffer. Every read is
 * bounds-checked: a malformed body throws DecodeError naming the byte offset,
 * never reads past the end and never allocates from a claimed length.
 */
export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string, at = this.pos): never {
    throw new DecodeError(`${what} at byte ${at}`);
  }

  /** A varint that fits 32 bits (tags, lengths, enums, int32). */
  uint32(): number {
    const start = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.fail('truncated varint', start);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result > 0xffffffff ? result % 2 ** 32 : result;
    }
    // Negative int32 enums are sign-extended to 10 bytes: read the rest and keep the low 32 bits.
    for (let i = 5; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint', start);
      if (this.buf[this.pos++]! < 0x80) return result % 2 ** 32;
    }
    this.fail('varint longer than 10 bytes', start);
  }

  /** A full 64-bit varint as an unsigned bigint. */
  uint64(): bigint {
    const start = this.pos;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint', start);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return result & 0xffff_ffff_ffff_ffffn;
    }
    this.fail('varint longer than 10 bytes', start);
  }

  /** int64 (two's complement varint): a number when it fits a double exactly, else a bigint. */
  int64(): number | bigint {
    const v = BigInt.asIntN(64, this.uint64());
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) this.fail('truncated fixed64');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getBigUint64(0, true);
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }

  /** The bounds of a length-delimited field, checked against the end. */
  span(): [number, number] {
    const at = this.pos;
    const len = this.uint32();
    if (len > this.end - this.pos) this.fail(`length ${len} runs past the end of its message`, at);
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }

  string(): string {
    const at = this.pos;
    const [s, e] = this.span();
    // Attribute keys and most values are ASCII: decode those without the UTF-8 machinery.
    let ascii = true;
    for (let i = s; i < e; i++) {
      if (this.buf[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii)
      return Buffer.from(this.buf.buffer, this.buf.byteOffset + s, e - s).toString('latin1');
    try {
      return utf8.decode(this.buf.subarray(s, e));
    } catch {
      this.fail('string that is not valid UTF-8', at);
    }
  }

  /** A reader over an embedded message. */
  message(): WireReader {
    const [s, e] = this.span();
    return new WireReader(this.buf, s, e);
  }

  /** The next field's number and wire type. */
  tag(): [field: number, wire: number] {
    const at = this.pos;
    const t = this.uint32();
    const field = Math.floor(t / 8);
    const wire = t & 7;
    if (field === 0) this.fail('field number 0', at);
    if (wire !== VARINT && wire !== I64 && wire !== LEN && wire !== I32)
      this.fail(`unsupported wire type ${wire}`, at);
    return [field, wire];
  }

  /** Skips a field this reader does not use, so unknown and newer fields pass through. */
  skip(wire: number): void {
    if (wire === VARINT) this.uint64();
    else if (wire === I64) this.advance(8);
    else if (wire === I32) this.advance(4);
    else this.span();
  }

  /** Fails unless the field has the wire type its number needs. */
  expect(field: number, wire: number, want: number, message: string): void {
    if (wire !== want)
      this.fail(`${message} field ${field} has wire type ${wire}, expected ${want}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.fail('truncated fixed-width field');
    this.pos += n;
  }
}

export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
