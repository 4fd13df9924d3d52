/** BIP340 Schnorr signatures (spec §4.3, §8.5.4) through noble's `schnorr`, as
 * crypto/bip340.py over libsecp256k1. Secrets never appear in error messages. */
import { schnorr } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/curves/utils.js';
import { bytesToBig } from './bytes.ts';
import { EncodingError } from './errors.ts';
import { ORDER } from './group.ts';

/** The 32-byte x-only public key of a secret in [1, n−1]; EncodingError (`bad_secret`) otherwise. */
export function publicKey(secret: Uint8Array): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) {
    throw new EncodingError('secret key must be 32 bytes', 'bad_secret');
  }
  const k = bytesToBig(secret);
  if (k === 0n || k >= ORDER) throw new EncodingError('secret key is not a scalar in [1, n-1]', 'bad_secret');
  return schnorr.getPublicKey(secret);
}

/** True when `key` is a valid x-only key (an x below p of a curve point, BIP340 lift_x). */
export function isValidPublicKey(key: Uint8Array): boolean {
  if (key.length !== 32) return false;
  try {
    schnorr.utils.lift_x(bytesToBig(key));
    return true;
  } catch {
    return false;
  }
}

/** BIP340 Sign(sk, m, aux) over a 32-byte message; `aux` defaults to 32 fresh random bytes. */
export function sign(secret: Uint8Array, msg32: Uint8Array, aux?: Uint8Array): Uint8Array {
  publicKey(secret); // range check with our error
  if (msg32.length !== 32) throw new EncodingError('message must be 32 bytes', 'wrong_length');
  const a = aux ?? randomBytes(32);
  if (a.length !== 32) throw new EncodingError('aux_rand must be 32 bytes', 'wrong_length');
  try {
    return schnorr.sign(msg32, secret, a);
  } finally {
    if (aux === undefined) a.fill(0);  // our own aux_rand (nonce material): erased after use
  }
}

/** BIP340 Verify(pk, m, sig): false for a bad signature or a key that is no curve x coordinate. */
export function verify(key: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (key.length !== 32 || sig.length !== 64) return false;
  try {
    return schnorr.verify(sig, msg, key);
  } catch {
    return false;
  }
}
