/**
 * Secret hygiene of the booth crypto: every temporary buffer that held a credential secret (or
 * its check bytes) is zeroed before the function returns or throws; only the returned copy lives.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { codeFromSecret, fromHex, parseCredentialCode, secretFromCode, toHex } from '../src/crypto/index.ts';
import { ORDER } from '../src/crypto/group.ts';

/** Every Uint8Array `slice` was called on, and every slice it returned, while `fn` ran. */
function watchSlices(fn: () => unknown): { sources: Uint8Array[]; copies: Uint8Array[]; result: unknown; error: unknown } {
  const sources: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  const orig = Uint8Array.prototype.slice;
  vi.spyOn(Uint8Array.prototype, 'slice').mockImplementation(function (this: Uint8Array, ...args: Parameters<Uint8Array['slice']>) {
    const out = orig.apply(this, args);
    sources.push(this);
    copies.push(out);
    return out;
  });
  let result: unknown = null, error: unknown = null;
  try {
    result = fn();
  } catch (e) {
    error = e;
  } finally {
    vi.restoreAllMocks();
  }
  return { sources, copies, result, error };
}

/** The 32-byte copies taken out of a 34-byte decode buffer: the secrets. */
const secretCopies = (w: { sources: Uint8Array[]; copies: Uint8Array[] }): Uint8Array[] =>
  w.copies.filter((c, i) => c.length === 32 && w.sources[i]!.length === 34);
const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);
const SECRET = fromHex('1f'.repeat(32));

afterEach(() => vi.restoreAllMocks());

describe('credential code parsing leaves no copy of the secret behind', () => {
  test('the 34-byte decode buffer (secret ‖ check bytes) is zeroed after a good code', () => {
    const code = codeFromSecret(SECRET);
    const w = watchSlices(() => secretFromCode(code));
    expect(w.error).toBeNull();
    expect(toHex(w.result as Uint8Array)).toBe(toHex(SECRET));  // the returned copy is intact
    const raws = w.sources.filter((s) => s.length === 34);
    expect(raws.length).toBeGreaterThan(0);
    for (const r of raws) expect(zero(r)).toBe(true);
  });

  test('a checksum failure zeroes the decode buffer and the secret copy', () => {
    const code = codeFromSecret(SECRET);
    // Change one character of the secret part: the checksum no longer matches.
    const i = code.length - 20;
    const bad = code.slice(0, i) + (code[i] === 'A' ? 'B' : 'A') + code.slice(i + 1);
    const w = watchSlices(() => secretFromCode(bad));
    expect((w.error as { reason?: string }).reason).toBe('bad_checksum');
    const held = [...w.sources.filter((s) => s.length === 34), ...secretCopies(w)];
    expect(held.length).toBeGreaterThanOrEqual(2);
    for (const b of held) expect(zero(b)).toBe(true);
  });

  test('a code naming no valid key (secret ≥ n) zeroes the secret it decoded', () => {
    const big = fromHex((ORDER + 5n).toString(16).padStart(64, '0'));
    const code = codeFromSecret(big);
    const w = watchSlices(() => parseCredentialCode(code));
    expect((w.error as { code?: string }).code).toBe('bad_secret');
    const secrets = secretCopies(w);
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) expect(zero(s)).toBe(true);
  });
});
