/**
 * Voting credential codes (spec §5.3), as protocol/credentials.py: the printed code is
 * `HMP1-` ‖ base32(secret ‖ H("code-check", secret)[0:2]) in groups of four (RFC 4648 alphabet,
 * no padding). On input only ASCII is accepted (spec §5.3; a Persian or Arabic-Indic digit is
 * refused like any other character outside A–Z, 2–7), case is ignored, and so are space, tab,
 * CR, LF and '-'. The last character's 3 unused bits must be zero: one spelling per code.
 */
import * as bip340 from './bip340.ts';
import { concat, equalBytes } from './bytes.ts';
import { CodeError, EncodingError } from './errors.ts';
import { hashParts } from './hashing.ts';

export const CODE_PREFIX = 'HMP1';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const RAW_BYTES = 34;
const CODE_CHARS = 55; // ceil(34 · 8 / 5)

/** RFC 4648 base32 without padding. */
function base32(data: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const x of data) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31]!;
  return out;
}

/** The two check bytes H("code-check", secret)[0:2]. */
export function codeCheck(secret: Uint8Array): Uint8Array {
  return hashParts('code-check', secret).slice(0, 2);
}

/** The voter's printable code for a 32-byte secret (spec §5.3). */
export function codeFromSecret(secret: Uint8Array): string {
  if (secret.length !== 32) throw new RangeError('secret must be 32 bytes');
  const raw = concat(secret, codeCheck(secret));
  const b32 = base32(raw);
  raw.fill(0);
  const groups = [CODE_PREFIX];
  for (let i = 0; i < b32.length; i += 4) groups.push(b32.slice(i, i + 4));
  return groups.join('-');
}

function bad(message: string, reason: string): never {
  throw new CodeError(message, 'bad_code', reason);
}

/** The 32-byte secret of a code; CodeError `bad_code` (with `.reason`) if it is mistyped. */
export function secretFromCode(code: string): Uint8Array {
  if (typeof code !== 'string') bad('credential code must be text', 'bad_character');
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(code)) bad('credential code has characters outside A–Z and 2–7', 'bad_character');
  let s = '';
  for (const ch of code.toUpperCase()) if (!' -\t\r\n'.includes(ch)) s += ch;
  if (!s.startsWith(CODE_PREFIX)) bad(`credential code must start with ${CODE_PREFIX}`, 'wrong_prefix');
  s = s.slice(CODE_PREFIX.length);
  for (const ch of s) if (!ALPHABET.includes(ch)) bad('credential code has characters outside A–Z and 2–7', 'bad_character');
  if (s.length !== CODE_CHARS) bad(`credential code must have ${CODE_CHARS} characters after ${CODE_PREFIX}, not ${s.length}`, 'wrong_length');
  // raw holds the secret and its check bytes: zeroed on every way out (only the copy returned lives on).
  const raw = new Uint8Array(RAW_BYTES);
  try {
    return decodeInto(s, raw);
  } finally {
    raw.fill(0);
  }
}

/** Decode the 55 base32 characters into `raw` and return a copy of the checked secret. */
function decodeInto(s: string, raw: Uint8Array): Uint8Array {
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of s) {
    acc = ((acc << 5) | ALPHABET.indexOf(ch)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      raw[o++] = (acc >>> (bits - 8)) & 255;
      bits -= 8;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) bad('credential code is mistyped (its last character is not a possible one)', 'nonzero_pad_bits');
  const secret = raw.slice(0, 32);
  if (!equalBytes(codeCheck(secret), raw.subarray(32))) {
    secret.fill(0);
    bad('credential code is mistyped (checksum does not match)', 'bad_checksum');
  }
  return secret;
}

/** A voter's credential: the secret (only the voter holds it) and its x-only public key. */
export interface Credential {
  readonly secret: Uint8Array;
  readonly credential: Uint8Array;
}

/** Parse a printed code into the credential (contract: booth crypto API). CodeError with
 * code `bad_code` (mistyped; `.reason` says how) or `bad_secret` (not a BIP340 secret). */
export function parseCredentialCode(code: string): Credential {
  const secret = secretFromCode(code);
  try {
    return { secret, credential: bip340.publicKey(secret) };
  } catch (e) {
    secret.fill(0);
    if (e instanceof EncodingError) throw new CodeError('credential code does not name a valid key', 'bad_secret', 'bad_secret');
    throw e;
  }
}
