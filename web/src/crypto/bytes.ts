/** Byte helpers: strict lowercase hex, concatenation, big-endian integers (spec §2.3). */
import { EncodingError } from './errors.ts';

const HEX_RE = /^[0-9a-f]*$/;
const HEX_DIGITS = '0123456789abcdef';

/** Lowercase hex of bytes. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX_DIGITS[x >> 4]! + HEX_DIGITS[x & 15]!;
  return s;
}

/** Bytes from lowercase hex; uppercase and odd lengths are refused. (One argument only, so
 * that `list.map(fromHex)` is safe.) */
export function fromHex(h: string): Uint8Array {
  if (typeof h !== 'string' || h.length % 2 !== 0 || !HEX_RE.test(h)) {
    throw new EncodingError('expected lowercase hexadecimal of even length', 'bad_hex');
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Concatenation of byte strings. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte-for-byte equality (inputs here are public: no constant-time need). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order (the order of the published credential list, spec §5.3). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** u32(i): a non-negative integer below 2^32 as 4 big-endian bytes (spec §2.3). */
export function u32(i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i > 0xffffffff) throw new RangeError('u32 out of range');
  return new Uint8Array([(i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]);
}

/** An integer below 2^53 as 8 big-endian bytes (the credential count of spec §5.4). */
export function u64(i: number): Uint8Array {
  if (!Number.isSafeInteger(i) || i < 0) throw new RangeError('u64 out of range');
  return bigToBytes(BigInt(i), 8);
}

/** Big-endian unsigned integer of bytes. */
export function bytesToBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + toHex(b));
}

/** A non-negative bigint as `length` big-endian bytes; refuses values that do not fit. */
export function bigToBytes(x: bigint, length: number): Uint8Array {
  if (x < 0n || x >> BigInt(8 * length) !== 0n) throw new RangeError('integer does not fit');
  return fromHex(x.toString(16).padStart(2 * length, '0'));
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
