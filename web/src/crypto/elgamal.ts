/** Exponential ElGamal over secp256k1 (spec §5.1): (α, β) = (r·G, m·G + r·K). */
import { IDENTITY, mul, mulG, randomScalar, type Point } from './group.ts';

/** An exponential ElGamal ciphertext; `alpha` = r·G, `beta` = m·G + r·K. */
export interface Ciphertext {
  readonly alpha: Point;
  readonly beta: Point;
}

/** Encrypt the small integer m under K with nonce r (drawn from `rand` when not given). */
export function encrypt(publicKey: Point, m: number | bigint, r?: bigint, rand: () => bigint = randomScalar): { ct: Ciphertext; r: bigint } {
  const nonce = r ?? rand();
  return { ct: { alpha: mulG(nonce), beta: mulG(BigInt(m)).add(mul(publicKey, nonce)) }, r: nonce };
}

/** Homomorphic sum: encrypts the sum of the plaintexts under the sum of the nonces. */
export function sumCiphertexts(cts: readonly Ciphertext[]): Ciphertext {
  let alpha = IDENTITY;
  let beta = IDENTITY;
  for (const c of cts) {
    alpha = alpha.add(c.alpha);
    beta = beta.add(c.beta);
  }
  return { alpha, beta };
}

/** A trustee's share s·α of the decryption of ct (spec §7.3). */
export function partialDecrypt(secret: bigint, ct: Ciphertext): Point {
  return mul(ct.alpha, secret);
}
