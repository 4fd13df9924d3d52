/** Signed record entries (spec §4.3): "sig" is a BIP340 signature over
 * H("entry-sig", JCS(entry without "sig")), as protocol/signing.py. */
import * as bip340 from './bip340.ts';
import { toHex } from './bytes.ts';
import { canonical, type JsonObject } from './canonical.ts';
import { hexBytes } from './codec.ts';
import { Rejected } from './errors.ts';
import { hashParts } from './hashing.ts';

function withoutSig(entry: JsonObject): JsonObject {
  const body: JsonObject = {};
  for (const k of Object.keys(entry)) {
    if (k !== 'sig') Object.defineProperty(body, k, { value: entry[k], enumerable: true, writable: true, configurable: true });
  }
  return body;
}

/** The 32-byte message that an entry's "sig" signs. */
export function signingMessage(entry: JsonObject): Uint8Array {
  return hashParts('entry-sig', canonical(withoutSig(entry)));
}

/** The entry with "sig" added (any old one replaced); `aux` fresh unless given (vectors only). */
export function signEntry(entry: JsonObject, secret: Uint8Array, aux?: Uint8Array): JsonObject {
  const body = withoutSig(entry);
  return { ...body, sig: toHex(bip340.sign(secret, signingMessage(body), aux)) };
}

/** Throw Rejected (`bad_signature`, `check`) unless entry.sig is a valid signature by `key`. */
export function verifyEntry(entry: JsonObject, key: Uint8Array, check: string, what: string): void {
  const sig = hexBytes(entry['sig'], 64, `${what}.sig`);
  if (!bip340.verify(key, signingMessage(entry), sig)) {
    throw new Rejected(`${what}: signature does not verify`, 'bad_signature', check);
  }
}
