/**
 * The group: secp256k1 through @noble/curves, with an explicit identity (spec §2).
 *
 * Scalars are bigints in [0, n). Points are noble `Point`s; the identity is `Point.ZERO` and is
 * encoded as 33 zero bytes, accepted only where a caller says so (spec §2.2). Only the 33-byte
 * compressed SEC1 form is accepted on input. All curve arithmetic is noble's; the only math
 * here is on scalars mod n.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/curves/utils.js';
import { bigToBytes, bytesToBig, concat, utf8 } from './bytes.ts';
import { EncodingError } from './errors.ts';

const P = secp256k1.Point;
/** A secp256k1 point (noble's projective point); the identity is `IDENTITY`. */
export type Point = InstanceType<typeof P>;

/** n, the prime order of secp256k1's group. */
export const ORDER: bigint = P.Fn.ORDER;
/** p, the field prime. */
export const FIELD: bigint = P.Fp.ORDER;
export const POINT_BYTES = 33;
export const SCALAR_BYTES = 32;
export const G: Point = P.BASE;
export const IDENTITY: Point = P.ZERO;
const IDENTITY_BYTES = new Uint8Array(POINT_BYTES);

/** x mod n in [0, n). */
export function mod(x: bigint): bigint {
  const r = x % ORDER;
  return r < 0n ? r + ORDER : r;
}

/** A scalar in [0, n) as 32 big-endian bytes (spec §2.1). */
export function scalarBytes(k: bigint): Uint8Array {
  if (k < 0n || k >= ORDER) throw new RangeError('scalar out of range');
  return bigToBytes(k, SCALAR_BYTES);
}

/** 32 big-endian bytes to a scalar; refuses values ≥ n (no malleable s + n) (spec §2.1). */
export function decodeScalar(b: Uint8Array): bigint {
  if (b.length !== SCALAR_BYTES) {
    throw new EncodingError(`scalar must be ${SCALAR_BYTES} bytes, got ${b.length}`, 'wrong_length');
  }
  const k = bytesToBig(b);
  if (k >= ORDER) throw new EncodingError('scalar is not below the group order n', 'not_below_order');
  return k;
}

/** A uniformly random scalar in [1, n) from the platform CSPRNG (crypto.getRandomValues,
 * through noble's randomBytes), by rejection sampling. */
export function randomScalar(): bigint {
  for (;;) {
    // The drawn bytes are a nonce's: zeroed once read (the bigint itself cannot be erased).
    const raw = randomBytes(SCALAR_BYTES);
    const k = bytesToBig(raw);
    raw.fill(0);
    if (k > 0n && k < ORDER) return k;
  }
}

function isZeroBytes(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** A compressed point on the curve (spec §2.2); 33 zero bytes are the identity, refused
 * unless `identityOk`. Errors name the rule: wrong_length, identity_not_allowed, bad_prefix,
 * x_not_below_p, not_on_curve. */
export function decodePoint(b: Uint8Array, identityOk = false): Point {
  if (b.length !== POINT_BYTES) {
    throw new EncodingError(`point must be ${POINT_BYTES} bytes, got ${b.length}`, 'wrong_length');
  }
  if (b[0] !== 2 && b[0] !== 3) {
    if (isZeroBytes(b)) {
      if (identityOk) return IDENTITY;
      throw new EncodingError('the identity point is not allowed here', 'identity_not_allowed');
    }
    throw new EncodingError(`point prefix must be 02 or 03`, 'bad_prefix');
  }
  if (bytesToBig(b.subarray(1)) >= FIELD) {
    throw new EncodingError('point x coordinate is not below p', 'x_not_below_p');
  }
  let pt: Point;
  try {
    pt = P.fromBytes(b);
    pt.assertValidity();
  } catch {
    throw new EncodingError('point is not on secp256k1', 'not_on_curve');
  }
  return pt;
}

/** 33-byte compressed encoding; the identity is 33 zero bytes (spec §2.2). */
export function encodePoint(p: Point): Uint8Array {
  return p.is0() ? IDENTITY_BYTES.slice() : p.toBytes(true);
}

/** k·G (k reduced mod n; 0 gives the identity). Constant-time in k (noble `multiply`). */
export function mulG(k: bigint): Point {
  const s = mod(k);
  return s === 0n ? IDENTITY : G.multiply(s);
}

/** k·P for any point, the identity included. Constant-time in k (noble `multiply`). */
export function mul(p: Point, k: bigint): Point {
  const s = mod(k);
  return s === 0n || p.is0() ? IDENTITY : p.multiply(s);
}

/** k·P for public k (signature-free verification): noble `multiplyUnsafe`, not constant-time. */
export function mulPublic(p: Point, k: bigint): Point {
  const s = mod(k);
  return s === 0n || p.is0() ? IDENTITY : p.multiplyUnsafe(s);
}

/** Sum of points, the identity included. */
export function sum(points: readonly Point[]): Point {
  let acc = IDENTITY;
  for (const p of points) acc = acc.add(p);
  return acc;
}

/** Point equality (by group element). */
export function pointsEqual(a: Point, b: Point): boolean {
  return a.equals(b);
}

/** GROUP = ASCII("secp256k1") ‖ encode(G): binds curve and generator (spec §3.4). */
export const GROUP_DESCRIPTION: Uint8Array = concat(utf8('secp256k1'), encodePoint(G));

/** The raw noble constructor, for multi-scalar checks (proofs.ts Batch). */
export const PointClass = P;
