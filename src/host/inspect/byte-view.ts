import { InspectionCode } from "./inspection-code.js";
import { ImageRefusal } from "./image-refusal.js";

/**
 * Big-endian reads over the bytes the inspector was given. Any read outside them is a refusal
 * (HEADER_INVALID), never a RangeError: a hostile header decides where we look.
 */
export class ByteView {
  constructor(
    readonly bytes: Buffer,
    /** What the bytes are, for messages ("qcow2 header"). */
    private readonly what: string,
  ) {}

  get length(): number {
    return this.bytes.length;
  }

  private need(offset: number, length: number): void {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.bytes.length
    ) {
      throw new ImageRefusal(
        InspectionCode.HEADER_INVALID,
        `the ${this.what} points past the ${this.bytes.length} bytes it may use (offset ${offset}, length ${length})`,
      );
    }
  }

  u8(offset: number): number {
    this.need(offset, 1);
    return this.bytes.readUInt8(offset);
  }

  u32(offset: number): number {
    this.need(offset, 4);
    return this.bytes.readUInt32BE(offset);
  }

  u64(offset: number): bigint {
    this.need(offset, 8);
    return this.bytes.readBigUInt64BE(offset);
  }

  slice(offset: number, length: number): Buffer {
    this.need(offset, length);
    return this.bytes.subarray(offset, offset + length);
  }

  startsWith(offset: number, magic: Buffer): boolean {
    return (
      offset >= 0 &&
      offset + magic.length <= this.bytes.length &&
      this.bytes.subarray(offset, offset + magic.length).equals(magic)
    );
  }
}
