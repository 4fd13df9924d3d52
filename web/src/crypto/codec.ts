/** Strict decoding of wire fields (spec §4.2), as protocol/codec.py: lowercase hex of exact
 * length, points, scalars, bounded integers, exact key sets. Every failure names the field. */
import { fromHex, toHex } from './bytes.ts';
import { canonical, isObject, type Json, type JsonObject } from './canonical.ts';
import { EncodingError, MalformedInput } from './errors.ts';
import { decodePoint, decodeScalar, encodePoint, scalarBytes, type Point } from './group.ts';

const HEX_RE = /^[0-9a-f]*$/;

/** Lowercase hex of exactly `length` bytes. */
export function hexBytes(v: unknown, length: number, field: string): Uint8Array {
  if (typeof v !== 'string' || v.length !== 2 * length || !HEX_RE.test(v)) {
    throw new MalformedInput(`${field}: expected ${2 * length} lowercase hex characters`, 'bad_encoding');
  }
  return fromHex(v);
}

/** A compressed secp256k1 point in hex; on the curve; the identity only where allowed. */
export function point(v: unknown, field: string, identityOk = false): Point {
  const b = hexBytes(v, 33, field);
  try {
    return decodePoint(b, identityOk);
  } catch (e) {
    if (e instanceof EncodingError) throw new MalformedInput(`${field}: ${e.message}`, 'bad_point');
    throw e;
  }
}

/** A scalar below the group order n, as 64 hex characters. */
export function scalar(v: unknown, field: string): bigint {
  const b = hexBytes(v, 32, field);
  try {
    return decodeScalar(b);
  } catch (e) {
    if (e instanceof EncodingError) throw new MalformedInput(`${field}: ${e.message}`, 'bad_scalar');
    throw e;
  }
}

/** A JSON integer (never a boolean) in [lo, hi]. */
export function integer(v: unknown, field: string, lo = 0, hi = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new MalformedInput(`${field}: expected an integer in [${lo}, ${hi}]`, 'bad_field');
  }
  return v;
}

/** A non-empty string of at most `maxLen` code points (Python's len). */
export function text(v: unknown, field: string, maxLen = 2000): string {
  if (typeof v !== 'string') {
    throw new MalformedInput(`${field}: expected a non-empty string of at most ${maxLen} characters`, 'bad_field');
  }
  const n = [...v].length;
  if (n === 0 || n > maxLen) {
    throw new MalformedInput(`${field}: expected a non-empty string of at most ${maxLen} characters`, 'bad_field');
  }
  return v;
}

/** A list of lo..hi items. */
export function array(v: unknown, field: string, lo = 0, hi = 10_000): Json[] {
  if (!Array.isArray(v) || v.length < lo || v.length > hi) {
    throw new MalformedInput(`${field}: expected a list of ${lo} to ${hi} items`, 'bad_field');
  }
  return v as Json[];
}

/** A JSON object with exactly `keys` (plus any of `optional`). */
export function obj(v: unknown, field: string, keys: readonly string[], optional: readonly string[] = []): JsonObject {
  if (!isObject(v)) throw new MalformedInput(`${field}: expected an object`, 'bad_field');
  const have = Object.keys(v);
  const missing = keys.filter((k) => !Object.hasOwn(v, k));
  const extra = have.filter((k) => !keys.includes(k) && !optional.includes(k));
  if (missing.length || extra.length) {
    const shown = extra.slice(0, 5).map((k) => k.slice(0, 40));
    throw new MalformedInput(`${field}: missing [${missing.join(', ')}] / unexpected [${shown.join(', ')}]`, 'bad_field');
  }
  return v;
}

/** JSON equality that tells types apart (`true` is not `1`), by canonical bytes. */
export function same(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) return false;
  if (typeof a !== 'object' || a === null) return a === b;
  return toHex(canonical(a)) === toHex(canonical(b));
}

/** Hex of a point (66 characters). */
export function pointHex(p: Point): string {
  return toHex(encodePoint(p));
}

/** Hex of a scalar (64 characters). */
export function scalarHex(k: bigint): string {
  return toHex(scalarBytes(k));
}
