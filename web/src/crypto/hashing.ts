/** Domain-separated, injective hashing (spec §3), byte for byte as crypto/hashing.py. */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToBig, concat, u32, utf8 } from './bytes.ts';
import { ORDER } from './group.ts';

/** Every tag is prefixed with the protocol version (spec §3.1). */
export const PREFIX = 'hamaporsi/v1/';

/** encode_parts(tag, parts) = u32(|T|) ‖ T ‖ u32(|p₁|) ‖ p₁ ‖ … with T = "hamaporsi/v1/" ‖ tag (§3.1). */
export function encodeParts(tag: string, parts: readonly Uint8Array[]): Uint8Array {
  const t = PREFIX + tag;
  if (!/^[\x20-\x7e]*$/.test(t)) throw new RangeError('hash tags are printable ASCII');
  const tb = utf8(t);
  const out: Uint8Array[] = [u32(tb.length), tb];
  for (const p of parts) out.push(u32(p.length), p);
  return concat(...out);
}

/** H(tag, parts…) = SHA-256(encode_parts(tag, parts…)), 32 bytes (spec §3.2). */
export function hashParts(tag: string, ...parts: Uint8Array[]): Uint8Array {
  return sha256(encodeParts(tag, parts));
}

/** Hq(tag, parts…) = int(SHA-512(encode_parts(tag, parts…))) mod n (spec §3.3). */
export function hashToScalar(tag: string, ...parts: Uint8Array[]): bigint {
  return bytesToBig(sha512(encodeParts(tag, parts))) % ORDER;
}

/** Plain SHA-256 (RFC 9162 leaves and nodes, the credential-list hash). */
export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data);
}
