/**
 * The booth crypto beyond the shared vectors: fresh (random) ballots verify and audit back to
 * the choice, and tampered, truncated, mistyped and out-of-place input is refused with the
 * right code. Elections come from tests/vectors/election.json.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  CodeError, canonical, checkElection, checkReceipt, codeFromSecret, contextFrom, encryptBallot,
  fromHex, parseCanonical, parseCredentialCode, toHex, verifyAudit, verifyBallot, verifyCheckpoint,
  verifyInclusion, type BoothContext, type ElectionInfo, type JsonObject,
} from '../src/crypto/index.ts';
import { decodePoint, decodeScalar, encodePoint, mul, mulG } from '../src/crypto/group.ts';
import { signEntry } from '../src/crypto/signing.ts';
import { ballotVerdict, vectorContext, vectorElectionInfo } from '../src/crypto/vectors.ts';
import { randomBytes } from '@noble/curves/utils.js';
import { checkOfThrow, codeOfThrow } from './thrown.ts';

const VEC = resolve(import.meta.dirname, '../../tests/vectors');
const load = (name: string): any => JSON.parse(readFileSync(resolve(VEC, name), 'utf8'));
const elections: Record<string, any> = Object.fromEntries(load('election.json').cases.map((c: any) => [c.name, c]));
const receipts: any[] = load('receipts.json').cases;
const ctxOf = (name: string): BoothContext => vectorContext(elections[name]);
const cred = (name: string, i = 0): Uint8Array => fromHex(elections[name].credentials[i].secret);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('fresh ballots', () => {
  const shapes: [string, number[][]][] = [
    ['yes-no', [[0], [1]]],
    ['yes-no-blank', [[0], [1], [2]]],
    ['three-choose-0-2', [[], [0], [2], [0, 1], [1, 2]]],
  ];
  for (const [name, selections] of shapes) {
    for (const selected of selections) {
      test(`${name}: ${JSON.stringify(selected)} verifies, decrypts and audits back`, () => {
        const ctx = ctxOf(name);
        const eb = encryptBallot(ctx, cred(name), selected);
        expect(toHex(canonical(eb.entry))).toBe(toHex(eb.bytes));
        const parsed = parseCanonical(eb.bytes);
        expect(toHex(verifyBallot(ctx, parsed).credential)).toBe(elections[name].credentials[0].public);
        expect(ballotVerdict(ctx, eb.bytes)).toBe('accepted');
        const x = decodeScalar(fromHex(elections[name].joint_secret));
        (parsed as any).selections.forEach((s: any, i: number) => {
          const m = decodePoint(fromHex(s.beta)).subtract(mul(decodePoint(fromHex(s.alpha)), x));
          expect(toHex(encodePoint(m))).toBe(toHex(encodePoint(mulG(BigInt(eb.choices[i]!)))));
        });
        expect(verifyAudit(ctx, parseCanonical(canonical(eb.audit())))).toEqual(selected.length ? selected : ctx.manifest.impliedLast ? [ctx.manifest.options.length - 1] : []);
      });
    }
  }

  test('two encryptions of the same choice share no ciphertext or commitment', () => {
    const ctx = ctxOf('yes-no-blank');
    const a = encryptBallot(ctx, cred('yes-no-blank'), [1]);
    const b = encryptBallot(ctx, cred('yes-no-blank'), [1]);
    expect(toHex(a.trackingCode)).not.toBe(toHex(b.trackingCode));
    const points = (e: JsonObject): string[] => JSON.stringify(e).match(/0[23][0-9a-f]{64}/g) ?? [];
    const shared = points(a.entry).filter((p) => points(b.entry).includes(p));
    expect(shared.filter((p) => p !== toHex(encodePoint(ctx.jointKey)))).toEqual([]);
  });

  test('disallowed selections are refused before anything is encrypted', () => {
    expect(() => encryptBallot(ctxOf('yes-no'), cred('yes-no'), [])).toThrow(RangeError);
    expect(() => encryptBallot(ctxOf('yes-no'), cred('yes-no'), [0, 1])).toThrow(RangeError);
    expect(() => encryptBallot(ctxOf('three-choose-0-2'), cred('three-choose-0-2'), [0, 1, 2])).toThrow(RangeError);
    expect(() => encryptBallot(ctxOf('three-choose-0-2'), cred('three-choose-0-2'), [1, 1])).toThrow(RangeError);
    expect(() => encryptBallot(ctxOf('three-choose-0-2'), cred('three-choose-0-2'), [3])).toThrow(RangeError);
    expect(() => encryptBallot(ctxOf('three-choose-0-2'), cred('three-choose-0-2'), [0.5])).toThrow(RangeError);
  });

  test('an injected rand list must be exactly long enough and in [1, n)', () => {
    const ctx = ctxOf('yes-no');
    const ok = [1n, 2n, 3n, 4n];
    expect(() => encryptBallot(ctx, cred('yes-no'), [0], { rand: ok })).not.toThrow();
    expect(() => encryptBallot(ctx, cred('yes-no'), [0], { rand: ok.slice(0, 3) })).toThrow(/too few/);
    expect(() => encryptBallot(ctx, cred('yes-no'), [0], { rand: [...ok, 5n] })).toThrow(/unused/);
    expect(() => encryptBallot(ctx, cred('yes-no'), [0], { rand: [0n, 2n, 3n, 4n] })).toThrow(/\[1, n\)/);
  });

  test('an invalid secret cannot cast', () => {
    expect(codeOfThrow(() => encryptBallot(ctxOf('yes-no'), new Uint8Array(32), [0]))).toBe('bad_secret');
  });
});

describe('tampered ballots', () => {
  const name = 'yes-no-blank';
  const ctx = ctxOf(name);
  const secret = cred(name);
  const fresh = (): any => clone(encryptBallot(ctx, secret, [0]).entry);
  const resign = (e: any): any => signEntry(e, secret);
  const bump = (h: string): string => (BigInt('0x' + h) + 1n).toString(16).padStart(64, '0');

  test('a proof challenge changed and re-signed fails V7 (challenge recomputed)', () => {
    const e = fresh();
    e.selections[0].proof[1].c = bump(e.selections[0].proof[1].c);
    expect(checkOfThrow(() => verifyBallot(ctx, resign(e)))).toBe('V7');
    expect(codeOfThrow(() => verifyBallot(ctx, resign(e)))).toBe('challenge_mismatch');
  });

  test('a proof response changed and re-signed fails V7 (equations)', () => {
    const e = fresh();
    e.selections[1].proof[0].v = bump(e.selections[1].proof[0].v);
    expect(codeOfThrow(() => verifyBallot(ctx, resign(e)))).toBe('equation_failed');
  });

  test('a total proof challenge changed and re-signed fails V8', () => {
    const e = fresh();
    e.total_proof[0].c = bump(e.total_proof[0].c);
    expect(checkOfThrow(() => verifyBallot(ctx, resign(e)))).toBe('V8');
  });

  test('any change without re-signing fails V6', () => {
    const e = fresh();
    e.selections[0].proof[1].c = bump(e.selections[0].proof[1].c);
    expect(checkOfThrow(() => verifyBallot(ctx, e))).toBe('V6');
  });

  test('an off-curve α is refused while decoding (V5, bad_point)', () => {
    const e = fresh();
    e.selections[0].alpha = '02' + '00'.repeat(31) + '05'; // x = 5: x³ + 7 is not a square
    expect(codeOfThrow(() => verifyBallot(ctx, resign(e)))).toBe('bad_point');
    expect(codeOfThrow(() => decodePoint(fromHex(e.selections[0].alpha)))).toBe('not_on_curve');
  });

  test('the identity as α or as a proof commitment is refused (V5, bad_point)', () => {
    const e = fresh();
    e.selections[0].alpha = '00'.repeat(33);
    expect(codeOfThrow(() => verifyBallot(ctx, resign(e)))).toBe('bad_point');
    const f = fresh();
    f.selections[1].proof[0].a = '00'.repeat(33);
    expect(codeOfThrow(() => verifyBallot(ctx, resign(f)))).toBe('bad_point');
  });

  test('a scalar ≥ n is refused (V5, bad_scalar)', () => {
    const e = fresh();
    e.selections[0].proof[0].v = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';
    expect(codeOfThrow(() => verifyBallot(ctx, resign(e)))).toBe('bad_scalar');
  });

  test('a ballot for another election is refused (V5, wrong_election)', () => {
    const other = encryptBallot(ctxOf('three-choose-0-2'), cred('three-choose-0-2'), [0]).entry;
    expect(codeOfThrow(() => verifyBallot(ctx, other))).toBe('wrong_election');
  });

  test('a ballot copied to another credential and re-signed fails its proofs (V7)', () => {
    const e = fresh();
    const other = cred(name, 1);
    const copied = signEntry({ ...e, credential: elections[name].credentials[1].public }, other);
    expect(checkOfThrow(() => verifyBallot(ctx, copied))).toBe('V7');
  });

  test('an audit with a changed nonce or choice fails V9', () => {
    const eb = encryptBallot(ctx, secret, [1]);
    const a = clone(eb.audit()) as any;
    a.choices[1] = 1 - a.choices[1];
    expect(checkOfThrow(() => verifyAudit(ctx, a))).toBe('V9');
    const b = clone(eb.audit()) as any;
    b.nonces[0] = bump(b.nonces[0]);
    expect(checkOfThrow(() => verifyAudit(ctx, b))).toBe('V9');
  });

  test('non-canonical or oversized bytes are refused before anything else', () => {
    const bytes = encryptBallot(ctx, secret, [0]).bytes;
    const spaced = new TextEncoder().encode(new TextDecoder().decode(bytes).replace('":', '": '));
    expect(ballotVerdict(ctx, spaced)).toBe('not_canonical');
    expect(ballotVerdict(ctx, bytes.slice(0, -1))).toBe('malformed_json');
    expect(ballotVerdict(ctx, new Uint8Array((1 << 20) + 1).fill(0x20))).toBe('too_large');
  });
});

describe('credential codes', () => {
  const secret = fromHex(elections['yes-no'].credentials[0].secret);
  const code = codeFromSecret(secret);

  test('round trip of a random secret, and the public key', () => {
    const s = randomBytes(32);
    s[0] = s[0]! & 0x7f; // below n
    const c = parseCredentialCode(codeFromSecret(s));
    expect(toHex(c.secret)).toBe(toHex(s));
    expect(c.credential.length).toBe(32);
  });

  test('truncated codes are refused (wrong_length)', () => {
    for (const cut of [1, 2, 5, 20]) {
      const e = codeOfThrow(() => parseCredentialCode(code.slice(0, -cut)));
      expect(e).toBe('bad_code');
    }
    try {
      parseCredentialCode(code.slice(0, -5));
    } catch (e) {
      expect((e as CodeError).reason).toBe('wrong_length');
    }
  });

  test('wrong check characters are refused (bad_checksum)', () => {
    const last = code.slice(-3);
    const swapped = code.slice(0, -3) + (last[0] === 'A' ? 'B' : 'A') + last.slice(1);
    try {
      parseCredentialCode(swapped);
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(CodeError);
      expect((e as CodeError).code).toBe('bad_code');
      expect(['bad_checksum', 'nonzero_pad_bits']).toContain((e as CodeError).reason);
    }
  });

  test('every single-character change is refused', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let refused = 0;
    for (let i = 5; i < code.length; i++) {
      if (code[i] === '-') continue;
      const ch = alphabet[(alphabet.indexOf(code[i]!) + 7) % 32]!;
      expect(codeOfThrow(() => parseCredentialCode(code.slice(0, i) + ch + code.slice(i + 1)))).toBe('bad_code');
      refused++;
    }
    expect(refused).toBe(55);
  });

  test('Persian and Arabic-Indic digits are refused like any non-ASCII character (spec §5.3)', () => {
    const i = code.indexOf('2', 5);
    expect(i).toBeGreaterThan(4);
    for (const digit of ['۲', '٢']) {
      try {
        parseCredentialCode(code.slice(0, i) + digit + code.slice(i + 1));
        throw new Error('accepted');
      } catch (e) {
        expect((e as CodeError).reason).toBe('bad_character');
      }
    }
  });

  test('tabs, CR and LF are ignored; other control characters are not', () => {
    expect(toHex(parseCredentialCode(`\t${code.replaceAll('-', '\r\n')}\n`).secret)).toBe(toHex(secret));
    expect(codeOfThrow(() => parseCredentialCode(code.replace('-', '\v')))).toBe('bad_code');
  });
});

describe('election context from GET /api/election', () => {
  const el = elections['three-choose-0-2'];
  const info = (): ElectionInfo => clone(vectorElectionInfo(el));

  test('recomputes the served values', () => {
    expect(toHex(contextFrom(info()).hash)).toBe(el.election_hash);
  });

  test('a served election hash that differs is refused', () => {
    const i = info() as any;
    i.context.election = el.election_hash.replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
    expect(codeOfThrow(() => contextFrom(i))).toBe('election_mismatch');
  });

  test('a different joint key or credential count gives another hash and is refused', () => {
    const i = info() as any;
    i.context.joint_key = toHex(encodePoint(mulG(12345n)));
    expect(codeOfThrow(() => contextFrom(i))).toBe('election_mismatch');
    const j = info() as any;
    j.context.credential_count += 1;
    expect(codeOfThrow(() => contextFrom(j))).toBe('election_mismatch');
  });

  test('a served election id that is not the manifest hash is refused', () => {
    const i = info() as any;
    i.election_id = '00'.repeat(32);
    expect(codeOfThrow(() => contextFrom(i))).toBe('election_mismatch');
  });

  test('a manifest changed after signing is refused (V1 signature)', () => {
    const i = info() as any;
    i.manifest.question.en = 'Something else?';
    expect(checkOfThrow(() => contextFrom(i))).toBe('V1');
  });

  test('no context yet: not open', () => {
    const i = info() as any;
    i.context = null;
    expect(codeOfThrow(() => contextFrom(i))).toBe('not_open');
  });

  test('a served board key other than the manifest\'s is refused', () => {
    const i = info() as any;
    i.board_key = el.manifest.organizer_key;
    expect(codeOfThrow(() => contextFrom(i))).toBe('board_key_mismatch');
  });

  test('checkElection binds id and board key to the manifest in every phase', () => {
    for (const phase of ['setup', 'voting', 'closed', 'done']) {
      const i = info() as any;
      i.phase = phase;
      i.context = null;
      const got = checkElection(i);
      expect(got.electionId).toBe(el.manifest_hash);
      expect(toHex(got.boardKey)).toBe(el.manifest.board_key);
      const k = clone(i);
      k.board_key = el.manifest.organizer_key;
      expect(codeOfThrow(() => checkElection(k))).toBe('board_key_mismatch');
      const e = clone(i);
      e.election_id = '00'.repeat(32);
      expect(codeOfThrow(() => checkElection(e))).toBe('election_mismatch');
      const m = clone(i);
      m.manifest.board_key = el.manifest.organizer_key;  // re-keyed after signing
      m.board_key = el.manifest.organizer_key;
      expect(checkOfThrow(() => checkElection(m))).toBe('V1');
    }
  });
});

describe('canonical JSON', () => {
  test('values JCS cannot carry exactly are refused', () => {
    for (const v of [1.5, NaN, Infinity, 2 ** 53, -(2 ** 53), { a: undefined }, [() => 1], { b: 1n }, new Date(0)]) {
      expect(codeOfThrow(() => canonical(v))).toBe('not_canonical');
    }
    const cyclic: any = {};
    cyclic.self = cyclic;
    expect(codeOfThrow(() => canonical(cyclic))).toBe('not_canonical');
  });

  test('a "__proto__" key is data, not a prototype', () => {
    const bytes = new TextEncoder().encode('{"__proto__":{"x":1}}');
    const v = parseCanonical(bytes) as any;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(toHex(canonical(v))).toBe(toHex(bytes));
  });
});

describe('receipts and checkpoints', () => {
  const board = receipts.find((c) => c.kind === 'board');
  const good = receipts.find((c) => c.kind === 'receipt' && c.valid !== false);
  const cp = receipts.find((c) => c.kind === 'checkpoint');
  const entry = fromHex(board.entries[good.entry_index]);

  test('a good receipt is included, with and without the entry bytes', () => {
    expect(checkReceipt(good.receipt, good.board_key, good.manifest_hash, entry).status).toBe('included');
    expect(checkReceipt(good.receipt, fromHex(good.board_key), fromHex(good.manifest_hash)).status).toBe('included');
  });

  test('a pending receipt is reported pending after the checks it allows', () => {
    const pending = { ...clone(good.receipt), checkpoint: null, path: [], status: 'pending' };
    expect(checkReceipt(pending, good.board_key, good.manifest_hash, entry).status).toBe('pending');
    const lying = { ...pending, status: 'included' };
    expect(codeOfThrow(() => checkReceipt(lying, good.board_key, good.manifest_hash, entry))).toBe('bad_checkpoint');
    const other = fromHex(board.entries[good.entry_index - 1]);
    expect(codeOfThrow(() => checkReceipt(pending, good.board_key, good.manifest_hash, other))).toBe('tracking_mismatch');
  });

  test('malformed receipt fields are refused', () => {
    const r = clone(good.receipt);
    r.tracking_code = r.tracking_code.toUpperCase();
    expect(codeOfThrow(() => checkReceipt(r, good.board_key, good.manifest_hash))).toBe('bad_receipt');
    const s = clone(good.receipt);
    s.index = '5';
    expect(codeOfThrow(() => checkReceipt(s, good.board_key, good.manifest_hash))).toBe('bad_receipt');
  });

  test('verifyCheckpoint refuses another election, another key, a changed field, an extra key', () => {
    expect(verifyCheckpoint(cp.wire, cp.board_key, cp.election).size).toBe(cp.size);
    expect(codeOfThrow(() => verifyCheckpoint(cp.wire, cp.board_key, '00'.repeat(32)))).toBe('wrong_election');
    expect(codeOfThrow(() => verifyCheckpoint(cp.wire, elections['yes-no'].manifest.organizer_key, cp.election))).toBe('wrong_board_key');
    expect(codeOfThrow(() => verifyCheckpoint({ ...cp.wire, time: cp.wire.time + 1 }, cp.board_key, cp.election))).toBe('bad_signature');
    expect(codeOfThrow(() => verifyCheckpoint({ ...cp.wire, size: cp.wire.size - 1 }, cp.board_key, cp.election))).toBe('bad_signature');
    expect(codeOfThrow(() => verifyCheckpoint({ ...cp.wire, extra: 1 }, cp.board_key, cp.election))).toBe('bad_checkpoint');
    expect(codeOfThrow(() => verifyCheckpoint({ ...cp.wire, size: true }, cp.board_key, cp.election))).toBe('bad_checkpoint');
    expect(codeOfThrow(() => verifyCheckpoint({ ...cp.wire, size: 2 ** 53 }, cp.board_key, cp.election))).toBe('bad_checkpoint');
  });

  test('verifyInclusion answers true and false', () => {
    const inc = receipts.find((c) => c.kind === 'inclusion' && c.size === 9 && c.index === 3);
    const path = inc.path.map(fromHex);
    expect(verifyInclusion(fromHex(inc.leaf_hash), 3, 9, path, fromHex(inc.root))).toBe(true);
    expect(verifyInclusion(fromHex(inc.leaf_hash), 2, 9, path, fromHex(inc.root))).toBe(false);
    expect(verifyInclusion(fromHex(inc.leaf_hash), 3, 9, path.slice(1), fromHex(inc.root))).toBe(false);
    expect(verifyInclusion(fromHex(inc.leaf_hash), 9, 9, path, fromHex(inc.root))).toBe(false);
    expect(verifyInclusion(fromHex(inc.leaf_hash), 3, 9, [...path, path[0]!], fromHex(inc.root))).toBe(false);
  });
});

test('hex helpers refuse uppercase and odd lengths', () => {
  expect(codeOfThrow(() => fromHex('AB'))).toBe('bad_hex');
  expect(codeOfThrow(() => fromHex('abc'))).toBe('bad_hex');
  expect(toHex(fromHex('00ff'))).toBe('00ff');
});
