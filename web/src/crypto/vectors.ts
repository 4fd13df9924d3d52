/**
 * The shared test vectors (docs/vectors.md) as pure checks over the parsed files, run by
 * vitest under Node (test/vectors.test.ts) and inside Chromium (src/vectors-page). Every case
 * of every file becomes one check; valid cases must give the same bytes as Python, invalid ones
 * must be refused with the named error. A file with no cases, a case of an unknown kind, a
 * missing file or an unknown file is itself a failure, so nothing is skipped silently.
 */
import * as bip340 from './bip340.ts';
import { bytesToBig, compareBytes, concat, fromHex, toHex, utf8 } from './bytes.ts';
import { canonical, parseCanonical, type Json, type JsonObject } from './canonical.ts';
import * as codec from './codec.ts';
import { encryptBallot, trackingCode, verifyAuditDetailed, verifyBallot } from './ballot.ts';
import { checkpointBodyBytes, checkpointMessage, checkpointToJson, parseCheckpoint, verifyCheckpoint, type Checkpoint } from './checkpoint.ts';
import { codeCheck, codeFromSecret, parseCredentialCode, secretFromCode } from './credentials.ts';
import { encrypt, partialDecrypt, sumCiphertexts, type Ciphertext } from './elgamal.ts';
import { TOTAL_INDEX, contextFrom, createContext, proofContext, type BoothContext, type ElectionInfo } from './election.ts';
import { CodeError, EncodingError, HamaporsiError, InvalidProof, MalformedInput, ReceiptError } from './errors.ts';
import { GROUP_DESCRIPTION, IDENTITY, ORDER, decodePoint, decodeScalar, encodePoint, mul, mulG, scalarBytes, type Point } from './group.ts';
import { PREFIX, encodeParts, hashParts, hashToScalar, sha256Bytes } from './hashing.ts';
import { parseManifest } from './manifest.ts';
import { checkConsistency, checkInclusion, consistencyProof, inclusionProof, leafHash, root } from './merkle.ts';
import { Batch, allowedBytes, inSetChallengeParts, proveEqualLogs, proveInSet, proveKnowledge, verifyEqualLogs, verifyInSet, verifyKnowledge, type Branch, type EqualityProof, type SchnorrProof } from './proofs.ts';
import { checkReceipt, requireWitnessed } from './receipt.ts';
import {
  cosignatureBodyBytes, cosignatureMessage, cosignatureToJson, parseCosignature, parseWitnessPolicy,
  requireWitnesses, validCosigners, verifyCosignature, witnessName, type WitnessPolicy,
} from './cosignature.ts';
import { signEntry, signingMessage, verifyEntry } from './signing.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Case = any;

/** One check: `run` throws (an Error with a message saying what differs) on failure. */
export interface VectorCase {
  readonly file: string;
  readonly name: string;
  readonly run: () => void;
}

export interface VectorFile {
  readonly file: string;
  readonly cases: readonly VectorCase[];
}

/** The generated files (tests/vectors/*.json), in dependency order. */
export const VECTOR_FILES = [
  'hashing.json', 'points.json', 'elgamal.json', 'proofs.json', 'canonical.json', 'election.json',
  'credentials.json', 'ballots.json', 'receipts.json', 'cosignatures.json',
] as const;
/** Third-party vectors (tests/vectors/public/). */
export const PUBLIC_FILES = ['public/bip340-test-vectors.csv', 'public/rfc9162-merkle.json'] as const;
export const ALL_FILES: readonly string[] = [...VECTOR_FILES, ...PUBLIC_FILES];

// -- assertion helpers -----------------------------------------------------------------------

class VectorFailure extends Error {}

function fail(msg: string): never {
  throw new VectorFailure(msg);
}

function ok(cond: unknown, msg: string): asserts cond {
  if (!cond) fail(msg);
}

function eq(actual: unknown, expected: unknown, what: string): void {
  const a = typeof actual === 'bigint' ? actual.toString(16) : actual;
  const e = typeof expected === 'bigint' ? expected.toString(16) : expected;
  if (a !== e) fail(`${what}: expected ${String(e).slice(0, 200)}, got ${String(a).slice(0, 200)}`);
}

/** JSON equality by canonical bytes (tells 1 from true, key order irrelevant). */
function jsonEq(actual: unknown, expected: unknown, what: string): void {
  eq(toHex(canonical(actual)), toHex(canonical(expected)), what);
}

/** Structural JSON equality (for parsed values, where types must match exactly). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (a === null || b === null || typeof a !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual((a as any)[k], (b as any)[k]));
}

/** Run `fn`, require it to throw, and hand the error to `check` (which may throw). */
function throws(fn: () => unknown, what: string, check: (e: unknown) => void): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === null) fail(`${what}: was accepted`);
  if (err instanceof VectorFailure) throw err;
  check(err);
}

function codeOf(e: unknown): string {
  return e instanceof HamaporsiError ? e.code : `(not a HamaporsiError: ${String(e)})`;
}

const b = (h: string): Uint8Array => fromHex(h);
/** 32 bytes as an integer, not range-checked (the verifier's own check must see values ≥ n). */
const raw = (h: string): bigint => {
  const x = b(h);
  ok(x.length === 32, 'raw scalar must be 32 bytes');
  return bytesToBig(x);
};
const pt = (h: string): Point => decodePoint(b(h), true);
const ph = (p: Point): string => toHex(encodePoint(p));
const sh = (k: bigint): string => toHex(scalarBytes(k));
const u32b = (i: number): Uint8Array => new Uint8Array([(i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]);

function withoutSig(e: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(e)) if (k !== 'sig') out[k] = e[k]!;
  return out;
}

/** Exact bytes, the signing message, and the signature reproduced from the fixed aux. */
function checkSigned(entry: JsonObject, hex: string, message: string, secret: Uint8Array, aux: string, what: string): void {
  eq(toHex(canonical(entry)), hex, `${what} bytes`);
  ok(deepEqual(parseCanonical(b(hex)), entry), `${what}: strict parse differs from the entry`);
  eq(toHex(signingMessage(entry)), message, `${what} signing message`);
  eq(toHex(hashParts('entry-sig', canonical(withoutSig(entry)))), message, `${what} signing message by hand`);
  jsonEq(signEntry(withoutSig(entry), secret, b(aux)), entry, `${what} re-signed with the fixed aux`);
  verifyEntry(entry, bip340.publicKey(secret), 'VEC', what);
}

// -- per-file case builders ------------------------------------------------------------------

type Docs = Record<string, any>;
type Builder = (doc: any, docs: Docs) => VectorCase[];

function perCase(file: string, doc: any, kinds: Record<string, (c: Case) => void>, kindOf: (c: Case) => string = (c) => c.kind): VectorCase[] {
  ok(doc && typeof doc.about === 'string' && typeof doc.spec === 'string' && Array.isArray(doc.cases), `${file}: expected {about, spec, cases}`);
  ok(doc.cases.length > 0, `${file}: no cases`);
  const names = new Set<string>();
  return doc.cases.map((c: Case) => {
    ok(typeof c.name === 'string' && !names.has(c.name), `${file}: case name missing or repeated: ${c.name}`);
    names.add(c.name);
    const k = kindOf(c);
    const fn = kinds[k];
    ok(fn, `${file}: case ${c.name} has unknown kind ${k}`);
    ok(('expect_error' in c) === (c.valid === false || ['decode_invalid', 'scalar_invalid', 'reject'].includes(c.kind)), `${file}: case ${c.name}: expect_error and valid disagree`);
    return { file, name: c.name, run: () => fn(c) };
  });
}

// hashing.json (spec §3)
const hashing: Builder = (doc) => {
  const cases = perCase('hashing.json', doc, {
    hash: (c) => {
      const parts = c.parts.map(b);
      const enc = encodeParts(c.tag, parts);
      eq(toHex(enc), c.encoded, 'encoded');
      eq(toHex(hashParts(c.tag, ...parts)), c.hash_parts, 'hash_parts');
      eq(sh(hashToScalar(c.tag, ...parts)), c.hash_to_scalar, 'hash_to_scalar');
      const t = utf8(PREFIX + c.tag);
      const manual = concat(u32b(t.length), t, ...parts.flatMap((p: Uint8Array) => [u32b(p.length), p]));
      eq(toHex(manual), c.encoded, 'layout rebuilt by hand');
    },
  }, () => 'hash');
  const by = Object.fromEntries(doc.cases.map((c: Case) => [c.name, c]));
  cases.push({
    file: 'hashing.json', name: 'injectivity pairs differ', run: () => {
      for (const [x, y] of [['split-ab-c', 'split-a-bc'], ['nested-looking-part', 'flat-parts'], ['no-parts', 'one-empty-part'], ['one-empty-part', 'two-empty-parts']] as const) {
        ok(by[x] && by[y], `hashing.json: cases ${x} and ${y} must exist`);
        ok(by[x].encoded !== by[y].encoded && by[x].hash_to_scalar !== by[y].hash_to_scalar, `${x} and ${y} collide`);
      }
    },
  });
  return cases;
};

// points.json (spec §2)
const points: Builder = (doc) => perCase('points.json', doc, {
  mul_g: (c) => {
    eq(ph(mulG(decodeScalar(b(c.k)))), c.point, 'k·G');
    eq(ph(pt(c.point)), c.point, 're-encoding');
  },
  mul: (c) => eq(ph(mul(pt(c.point), decodeScalar(b(c.k)))), c.result, 'k·P'),
  add: (c) => {
    eq(ph(pt(c.a).add(pt(c.b))), c.sum, 'a + b');
    eq(ph(pt(c.b).add(pt(c.a))), c.sum, 'b + a');
  },
  negate: (c) => {
    eq(ph(pt(c.point).negate()), c.negation, '−P');
    ok(pt(c.point).add(pt(c.negation)).is0(), 'P + (−P) is not the identity');
  },
  decode_valid: (c) => eq(ph(decodePoint(b(c.encoding))), c.encoding, 'decode/encode'),
  decode_identity: (c) => {
    throws(() => decodePoint(b(c.encoding)), 'identity where a point is required', (e) => eq(codeOf(e), 'identity_not_allowed', 'error'));
    ok(decodePoint(b(c.encoding), true).is0(), 'not decoded as the identity where allowed');
    eq(ph(IDENTITY), c.encoding, 'identity encoding');
  },
  decode_invalid: (c) => {
    throws(() => decodePoint(b(c.encoding)), 'decode', (e) => eq(codeOf(e), c.expect_error, 'error'));
    if (c.expect_error !== 'identity_not_allowed') {
      throws(() => decodePoint(b(c.encoding), true), 'decode (identity allowed)', (e) => eq(codeOf(e), c.expect_error, 'error'));
    }
  },
  scalar_valid: (c) => eq(sh(decodeScalar(b(c.encoding))), c.encoding, 'scalar decode/encode'),
  scalar_invalid: (c) => throws(() => decodeScalar(b(c.encoding)), 'scalar decode', (e) => eq(codeOf(e), c.expect_error, 'error')),
});

// elgamal.json (spec §5.1)
const elgamal: Builder = (doc) => {
  const common = (c: Case, ct: Ciphertext, m: number): void => {
    const s = decodeScalar(b(c.secret));
    eq(ph(ct.beta.subtract(partialDecrypt(s, ct))), c.m_g, 'm·G = β − s·α');
    eq(c.m_g, ph(mulG(BigInt(m))), 'm_g is m·G');
  };
  return perCase('elgamal.json', doc, {
    encrypt: (c) => {
      const s = decodeScalar(b(c.secret));
      const K = decodePoint(b(c.public_key));
      ok(mulG(s).equals(K), 'public key is not secret·G');
      const { ct } = encrypt(K, c.m, decodeScalar(b(c.r)));
      eq(ph(ct.alpha), c.alpha, 'alpha');
      eq(ph(ct.beta), c.beta, 'beta');
      eq(ph(partialDecrypt(s, ct)), c.partial, 'partial');
      common(c, ct, c.m);
    },
    sum: (c) => {
      ok(mulG(decodeScalar(b(c.secret))).equals(decodePoint(b(c.public_key))), 'public key is not secret·G');
      const ct = sumCiphertexts(c.ciphertexts.map((x: Case) => ({ alpha: pt(x.alpha), beta: pt(x.beta) })));
      eq(ph(ct.alpha), c.alpha, 'Σα');
      eq(ph(ct.beta), c.beta, 'Σβ');
      common(c, ct, c.m_total);
    },
  });
};

// proofs.json (spec §6)
type AnyProof = SchnorrProof | EqualityProof | readonly Branch[];

function lenientProof(c: Case): AnyProof {
  const p = c.proof;
  if (c.kind === 'pok') return { h: pt(p.h), c: raw(p.c), v: raw(p.v) };
  if (c.kind === 'dleq') return { a: pt(p.a), b: pt(p.b), c: raw(p.c), v: raw(p.v) };
  return p.map((x: Case) => ({ a: pt(x.a), b: pt(x.b), c: raw(x.c), v: raw(x.v) }));
}

/** Through the wire codec, as a record reader decodes it (identity and s ≥ n refused). */
function strictProof(c: Case): AnyProof {
  const p = c.proof;
  const dleq = (o: unknown, f: string): EqualityProof => {
    const x = codec.obj(o, f, ['a', 'b', 'c', 'v']);
    return { a: codec.point(x['a'], `${f}.a`), b: codec.point(x['b'], `${f}.b`), c: codec.scalar(x['c'], `${f}.c`), v: codec.scalar(x['v'], `${f}.v`) };
  };
  if (c.kind === 'pok') {
    const x = codec.obj(p, 'proof', ['h', 'c', 'v']);
    return { h: codec.point(x['h'], 'proof.h'), c: codec.scalar(x['c'], 'proof.c'), v: codec.scalar(x['v'], 'proof.v') };
  }
  if (c.kind === 'dleq') return dleq(p, 'proof');
  const n = c.statement.allowed.length;
  return codec.array(p, 'proof', n, n).map((x, i) => dleq(x, `proof[${i}]`));
}

function proofRunner(c: Case, proof: AnyProof): (batch?: Batch) => void {
  const st = c.statement;
  const ctx = b(st.context);
  if (c.kind === 'pok') {
    const X = pt(st.X);
    return (batch) => verifyKnowledge(ctx, X, proof as SchnorrProof, { check: 'VEC', what: 'pok', ...(batch ? { batch } : {}) });
  }
  if (c.kind === 'dleq') {
    const H = pt(st.H);
    const X = pt(st.X);
    const Y = pt(st.Y);
    return (batch) => verifyEqualLogs(ctx, H, X, Y, proof as EqualityProof, { check: 'VEC', what: 'dleq', ...(batch ? { batch } : {}) });
  }
  const K = pt(st.K);
  const ct = { alpha: pt(st.alpha), beta: pt(st.beta) };
  return (batch) => verifyInSet(ctx, K, ct, proof as readonly Branch[], st.allowed, { check: 'VEC', what: 'in-set', ...(batch ? { batch } : {}) });
}

function proofToJson(c: Case, p: AnyProof): Json {
  const br = (x: EqualityProof): Json => ({ a: ph(x.a), b: ph(x.b), c: sh(x.c), v: sh(x.v) });
  if (c.kind === 'pok') {
    const s = p as SchnorrProof;
    return { h: ph(s.h), c: sh(s.c), v: sh(s.v) };
  }
  if (c.kind === 'dleq') return br(p as EqualityProof);
  return (p as readonly Branch[]).map(br);
}

function challengeParts(c: Case): [string, Uint8Array[]] {
  const st = c.statement;
  const p = c.proof;
  const ctx = b(st.context);
  if (c.kind === 'pok') return ['pok', [ctx, b(st.X), b(p.h)]];
  if (c.kind === 'dleq') return ['dleq', [ctx, b(st.X), b(st.H), b(st.Y), b(p.a), b(p.b)]];
  return ['in-set', [ctx, b(st.K), b(st.alpha), b(st.beta), allowedBytes(st.allowed), ...p.flatMap((x: Case) => [b(x.a), b(x.b)])]];
}

const STRICT_EARLIER: Record<string, string[]> = {
  bad_point: ['bad_point'], identity_point: ['bad_point'], scalar_out_of_range: ['bad_scalar'], branch_count: ['bad_field'],
};

const proofs: Builder = (doc) => {
  const valid = (c: Case): void => {
    proofRunner(c, lenientProof(c))();
    const strict = strictProof(c);
    proofRunner(c, strict)();
    jsonEq(proofToJson(c, strict), c.proof, 'wire form re-encoded');
    // the challenge preimage
    const [tag, parts] = challengeParts(c);
    eq(toHex(encodeParts(tag, parts)), c.challenge_preimage, 'challenge preimage');
    const ch = hashToScalar(tag, ...parts);
    if (c.kind === 'in_set') eq(c.proof.reduce((s: bigint, x: Case) => s + raw(x.c), 0n) % ORDER, ch, 'Σc');
    else eq(raw(c.proof.c), ch, 'c');
    // the prover reproduces the proof from the witness's draws, using every draw
    const w = c.witness;
    const draws = [decodeScalar(b(w.u)), ...(w.simulated ?? []).flatMap((s: Case) => [decodeScalar(b(s.c)), decodeScalar(b(s.v))])];
    let i = 0;
    const rand = (): bigint => {
      ok(i < draws.length, 'prover drew more than the witness has');
      return draws[i++]!;
    };
    const st = c.statement;
    const ctx = b(st.context);
    let made: AnyProof;
    if (c.kind === 'pok') made = proveKnowledge(ctx, decodeScalar(b(w.x)), pt(st.X), rand);
    else if (c.kind === 'dleq') made = proveEqualLogs(ctx, decodeScalar(b(w.x)), pt(st.H), pt(st.X), pt(st.Y), rand);
    else made = proveInSet(ctx, pt(st.K), { alpha: pt(st.alpha), beta: pt(st.beta) }, w.m, decodeScalar(b(w.r)), st.allowed, rand);
    jsonEq(proofToJson(c, made), c.proof, 'proof made from the witness');
    eq(i, draws.length, 'draws used');
  };
  const invalid = (c: Case): void => {
    // lenient decoding: the identity is accepted, scalars are not range-checked
    let run: (batch?: Batch) => void;
    try {
      run = proofRunner(c, lenientProof(c));
    } catch (e) {
      ok(e instanceof EncodingError, `unexpected error ${String(e)}`);
      eq('bad_point', c.expect_error, 'refused while decoding a point');
      return;
    }
    throws(() => run(), 'invalid proof', (e) => {
      ok(e instanceof InvalidProof, `expected InvalidProof, got ${String(e)}`);
      eq(e.code, c.expect_error, 'first failing check');
    });
    // the wire codec may refuse earlier, with the matching decoding error
    let strict: AnyProof;
    try {
      strict = strictProof(c);
    } catch (e) {
      ok(e instanceof MalformedInput, `unexpected error ${String(e)}`);
      ok((STRICT_EARLIER[c.expect_error] ?? []).includes(e.code), `codec refused with ${e.code} for ${c.expect_error}`);
      return;
    }
    throws(() => proofRunner(c, strict)(), 'invalid proof (strict)', (e) => eq(codeOf(e), c.expect_error, 'first failing check (strict)'));
  };
  const cases = perCase('proofs.json', doc, {
    pok: (c) => (c.valid ? valid(c) : invalid(c)),
    dleq: (c) => (c.valid ? valid(c) : invalid(c)),
    in_set: (c) => (c.valid ? valid(c) : invalid(c)),
  });
  const validCases = doc.cases.filter((c: Case) => c.valid);
  const broken = doc.cases.filter((c: Case) => c.expect_error === 'equation_failed');
  cases.push({
    file: 'proofs.json', name: 'batch: all valid proofs pass one batch (spec §6.5)', run: () => {
      ok(validCases.length > 0, 'no valid proofs');
      const batch = new Batch();
      for (const c of validCases) proofRunner(c, lenientProof(c))(batch);
      batch.check('VEC', 'batch');
    },
  });
  cases.push({
    file: 'proofs.json', name: 'batch: any equation_failed case breaks the batch', run: () => {
      ok(broken.length > 0, 'no equation_failed cases');
      for (const bad of broken) {
        const batch = new Batch();
        for (const c of validCases) proofRunner(c, lenientProof(c))(batch);
        proofRunner(bad, lenientProof(bad))(batch);
        ok(!batch.isZero(), `batch with ${bad.name} passed`);
      }
    },
  });
  cases.push({
    file: 'proofs.json', name: 'every check is covered', run: () => {
      const seen = new Set(doc.cases.filter((c: Case) => !c.valid).map((c: Case) => c.expect_error));
      for (const k of ['bad_point', 'branch_count', 'scalar_out_of_range', 'identity_point', 'challenge_mismatch', 'equation_failed']) ok(seen.has(k), `no ${k} case`);
    },
  });
  return cases;
};

// canonical.json (spec §4.1)
function inputBytes(chunks: [string, number][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [h, n] of chunks) {
    const one = b(h);
    const out = new Uint8Array(one.length * n);
    for (let i = 0; i < n; i++) out.set(one, i * one.length);
    parts.push(out);
  }
  return concat(...parts);
}

const canonicalFile: Builder = (doc) => perCase('canonical.json', doc, {
  encode: (c) => {
    const out = canonical(c.value);
    eq(toHex(out), c.canonical_hex, 'canonical bytes');
    eq(new TextDecoder().decode(out), c.canonical, 'canonical text');
    ok(deepEqual(parseCanonical(out), c.value), 'strict parse does not give the value back');
  },
  accept: (c) => {
    const data = inputBytes(c.input);
    eq(toHex(canonical(parseCanonical(data))), toHex(data), 're-encoding');
  },
  reject: (c) => throws(() => parseCanonical(inputBytes(c.input)), 'strict parse', (e) => {
    ok(e instanceof MalformedInput, `expected MalformedInput, got ${String(e)}`);
    eq(e.code, c.expect_error, 'error code');
  }),
});

// election.json (spec §5.2–§5.4, §6.4)
/** The library's context for a named election of election.json (manifest, K, N, CH). */
export function vectorContext(el: Case): BoothContext {
  const m = parseManifest(parseCanonical(b(el.manifest_hex)));
  return createContext(m, decodePoint(b(el.joint_key)), el.credential_list.length, b(el.credential_hash));
}

/** The GET /api/election answer the board would serve for a vector election. */
export function vectorElectionInfo(el: Case): ElectionInfo {
  return {
    election_id: el.manifest_hash, phase: 'voting', manifest: el.manifest, board_key: el.manifest.board_key,
    trustees: [], booth: { hash: '00'.repeat(32), published: null },
    context: { election: el.election_hash, joint_key: el.joint_key, credential_count: el.credential_list.length, credential_hash: el.credential_hash },
  };
}

const election: Builder = (doc) => perCase('election.json', doc, {
  election: (c) => {
    const sec = c.secrets;
    const organizer = b(sec.organizer);
    const registrar = b(sec.registrar);
    checkSigned(c.manifest, c.manifest_hex, c.manifest_signing_message, organizer, c.manifest_aux, 'manifest');
    const m = parseManifest(parseCanonical(b(c.manifest_hex)));
    eq(toHex(m.hash), c.manifest_hash, 'manifest hash');
    eq(toHex(hashParts('manifest', b(c.manifest_hex))), c.manifest_hash, 'manifest hash of the bytes');
    eq(toHex(m.organizerKey), toHex(bip340.publicKey(organizer)), 'organizer key');
    eq(toHex(m.registrarKey), toHex(bip340.publicKey(registrar)), 'registrar key');
    eq(toHex(m.boardKey), toHex(bip340.publicKey(b(sec.board))), 'board key');
    eq(m.trustees.length, sec.trustees.length, 'trustee count');
    m.trustees.forEach((t, i) => {
      eq(toHex(t.signingKey), toHex(bip340.publicKey(b(sec.trustees[i].signing))), `trustee ${i} signing key`);
      eq(ph(t.encryptionKey), ph(mulG(decodeScalar(b(sec.trustees[i].encryption)))), `trustee ${i} encryption key`);
    });
    eq(m.storedOptions, c.stored_options, 'stored options');
    jsonEq(m.totalAllowed, c.total_allowed, 'total allowed');
    const K = mulG(decodeScalar(b(c.joint_secret)));
    eq(ph(K), c.joint_key, 'joint key');
    const pubs = c.credentials.map((x: Case) => bip340.publicKey(b(x.secret)));
    jsonEq(pubs.map(toHex), c.credentials.map((x: Case) => x.public), 'credential keys');
    const keys = [...pubs].sort(compareBytes);
    jsonEq(keys.map(toHex), c.credential_list, 'sorted credential list');
    const pre = encodeParts('credential-list', keys);
    eq(toHex(pre), c.credential_hash_preimage, 'credential list preimage');
    const CH = sha256Bytes(pre);
    eq(toHex(CH), c.credential_hash, 'credential hash');
    const mh = toHex(m.hash);
    const unsigned = [
      { type: 'credentials', manifest: mh, chunk: 0, keys: keys.map(toHex) },
      { type: 'credentials-final', manifest: mh, chunks: 1, count: keys.length, hash: toHex(CH) },
    ];
    eq(c.credential_entries.length, 2, 'credential entries');
    c.credential_entries.forEach((e: Case, i: number) => {
      jsonEq(withoutSig(e.entry), unsigned[i], `credential entry ${i}`);
      checkSigned(e.entry, e.hex, toHex(signingMessage(e.entry)), registrar, e.aux, `credential entry ${i}`);
    });
    const ctx = createContext(m, K, keys.length, CH);
    eq(toHex(GROUP_DESCRIPTION), c.group, 'GROUP');
    eq(toHex(encodeParts('election', [GROUP_DESCRIPTION, m.hash, encodePoint(K), b(keys.length.toString(16).padStart(16, '0')), CH])), c.election_hash_preimage, 'election hash preimage');
    eq(toHex(ctx.hash), c.election_hash, 'election hash');
    const open = { type: 'open', manifest: mh, election: toHex(ctx.hash), joint_key: ph(K), credential_count: keys.length, credential_hash: toHex(CH) };
    jsonEq(withoutSig(c.open), open, 'open entry');
    checkSigned(c.open, c.open_hex, c.open_signing_message, organizer, c.open_aux, 'open');
    const cred = b(c.contexts.credential);
    eq(toHex(cred), toHex(pubs[0]), 'context credential');
    eq(toHex(proofContext(ctx, cred, 0)), c.contexts.selection_0, 'selection context');
    eq(toHex(proofContext(ctx, cred, TOTAL_INDEX)), c.contexts.total, 'total context');
    // what the booth does with GET /api/election
    const fromInfo = contextFrom(vectorElectionInfo(c));
    eq(toHex(fromInfo.hash), c.election_hash, 'contextFrom: election hash');
    eq(fromInfo.electionId, c.manifest_hash, 'contextFrom: election id');
  },
});

// credentials.json (spec §5.3)
const credentials: Builder = (doc) => {
  const cases = perCase('credentials.json', doc, {
    code: (c) => {
      const s = b(c.secret);
      eq(codeFromSecret(s), c.code, 'code');
      eq(toHex(codeCheck(s)), c.check, 'check bytes');
      const cred = parseCredentialCode(c.code);
      eq(toHex(cred.secret), c.secret, 'secret');
      eq(toHex(cred.credential), c.public, 'public key');
      eq(encodePoint(mulG(decodeScalar(s)))[0] === 3, c.y_odd, 'y parity');
      eq(c.code.length, 4 + 14 + 55, 'code length');
    },
    normalise: (c) => {
      eq(toHex(secretFromCode(c.input)), c.secret, 'secret');
      eq(toHex(parseCredentialCode(c.input).secret), c.secret, 'secret');
      eq(codeFromSecret(b(c.secret)), c.code, 'code');
    },
    refuse: (c) => throws(() => parseCredentialCode(c.input), 'code', (e) => {
      ok(e instanceof CodeError, `expected CodeError, got ${String(e)}`);
      eq(e.code, c.expect_error, 'error code');
      eq(e.reason, c.reason, 'reason');
    }),
    bad_secret: (c) => {
      eq(toHex(secretFromCode(c.input)), c.secret, 'secret');
      throws(() => parseCredentialCode(c.input), 'credential', (e) => {
        ok(e instanceof CodeError, `expected CodeError, got ${String(e)}`);
        eq(e.code, c.expect_error, 'error code');
      });
    },
  });
  cases.push({
    file: 'credentials.json', name: 'refusals cover every reason', run: () => {
      const reasons = new Set(doc.cases.filter((c: Case) => c.kind === 'refuse').map((c: Case) => c.reason));
      for (const r of ['bad_checksum', 'nonzero_pad_bits', 'wrong_prefix', 'bad_character', 'wrong_length']) ok(reasons.has(r), `no ${r} case`);
    },
  });
  return cases;
};

// ballots.json (spec §5.5, §5.6, §6.3, §6.4)
function electionsOf(docs: Docs): Record<string, Case> {
  const d = docs['election.json'];
  ok(d && Array.isArray(d.cases), 'ballots need election.json');
  return Object.fromEntries(d.cases.map((c: Case) => [c.name, c]));
}

function reproduce(c: Case, ctx: BoothContext): ReturnType<typeof encryptBallot> {
  return encryptBallot(ctx, b(c.credential_secret), c.selected, { rand: c.rand.map((h: string) => decodeScalar(b(h))), aux: b(c.aux) });
}

/** What the booth says of one ballot or audit entry: a canonical-JSON code, the check id of
 * the first failure (a format error without one is V5, as the verifier reports it), or
 * "accepted" (as library_verdict in tests/vectors/test_vectors.py). */
export function ballotVerdict(ctx: BoothContext, data: Uint8Array): string {
  let entry: Json;
  try {
    entry = parseCanonical(data);
  } catch (e) {
    if (e instanceof MalformedInput) return e.code;
    throw e;
  }
  try {
    if (codec.same((entry as JsonObject)?.['type'], 'audit')) verifyAuditDetailed(ctx, entry);
    else verifyBallot(ctx, entry);
  } catch (e) {
    if (e instanceof HamaporsiError) return e.check ?? 'V5';
    throw e;
  }
  return 'accepted';
}

const ballots: Builder = (doc, docs) => {
  const els = electionsOf(docs);
  const ctxs = new Map<string, BoothContext>();
  const ctxOf = (name: string): BoothContext => {
    ok(els[name], `unknown election ${name}`);
    if (!ctxs.has(name)) ctxs.set(name, vectorContext(els[name]));
    return ctxs.get(name)!;
  };
  const byName: Record<string, Case> = Object.fromEntries(doc.cases.map((c: Case) => [c.name, c]));
  const preimage = (ctx: BoothContext, cred: Uint8Array, index: number, ct: Ciphertext, allowed: number[], branches: Case[]): string =>
    toHex(encodeParts('in-set', inSetChallengeParts(proofContext(ctx, cred, index), ctx.jointKey, ct, allowed, branches.flatMap((x) => [pt(x.a), pt(x.b)]))));
  const invalid = (c: Case): void => eq(ballotVerdict(ctxOf(c.election), b(c.bytes)), c.expect_error, 'verdict');
  const cases = perCase('ballots.json', doc, {
    ballot: (c) => {
      if (c.valid === false) return invalid(c);
      const ctx = ctxOf(c.election);
      const el = els[c.election];
      const eb = reproduce(c, ctx);
      jsonEq(eb.entry, c.entry, 'entry');
      eq(toHex(eb.bytes), c.bytes, 'bytes');
      jsonEq([...eb.choices], c.choices, 'choices');
      jsonEq(eb.nonces.map(sh), c.nonces, 'nonces');
      eq(toHex(signingMessage(eb.entry)), c.signing_message, 'signing message');
      eq(toHex(eb.trackingCode), c.tracking_code, 'tracking code');
      eq(toHex(trackingCode(b(c.bytes))), c.tracking_code, 'tracking code of the bytes');
      const allowed = el.total_allowed;
      eq(c.rand.length, 4 * el.stored_options + (allowed ? 2 * allowed.length - 1 : 0), 'draw count');
      jsonEq(c.rand.filter((_: string, i: number) => i % 4 === 0 && i < 4 * el.stored_options), c.nonces, 'nonces are draws 0, 4, 8…');
      const entry = parseCanonical(b(c.bytes));
      const ballot = verifyBallot(ctx, entry);
      eq(toHex(ballot.credential), c.credential, 'credential');
      eq(ballotVerdict(ctx, b(c.bytes)), 'accepted', 'verdict');
      // the ciphertexts hold the choices (decrypted with the joint secret of election.json)
      const x = decodeScalar(b(el.joint_secret));
      eq(ballot.ciphertexts.length, c.choices.length, 'ciphertext count');
      ballot.ciphertexts.forEach((ct, i) => ok(ct.beta.subtract(mul(ct.alpha, x)).equals(mulG(BigInt(c.choices[i]))), `selection ${i} does not decrypt to its choice`));
      // challenge preimages, rebuilt from the entry
      const cred = b(c.credential);
      const sels = (entry as Case).selections;
      ballot.ciphertexts.forEach((ct, i) => eq(preimage(ctx, cred, i, ct, [0, 1], sels[i].proof), c.challenge_preimages.selections[i], `selection ${i} challenge preimage`));
      if (allowed === null) {
        ok(c.challenge_preimages.total === null && (entry as Case).total_proof === null, 'total proof present');
      } else {
        eq(preimage(ctx, cred, TOTAL_INDEX, sumCiphertexts(ballot.ciphertexts), allowed, (entry as Case).total_proof), c.challenge_preimages.total, 'total challenge preimage');
      }
    },
    audit: (c) => {
      if (c.valid === false) return invalid(c);
      const ctx = ctxOf(c.election);
      const bc = byName[c.ballot];
      ok(bc, `audit names unknown ballot ${c.ballot}`);
      const eb = reproduce(bc, ctx);
      jsonEq(eb.audit(), c.entry, 'audit entry');
      eq(toHex(canonical(eb.audit())), c.bytes, 'audit bytes');
      const opened = verifyAuditDetailed(ctx, parseCanonical(b(c.bytes)));
      eq(toHex(opened.trackingCode), c.tracking_code, 'tracking code');
      eq(c.tracking_code, bc.tracking_code, "tracking code is the ballot's");
      jsonEq(opened.selected, bc.selected, 'opened selection');
      jsonEq(opened.choices, bc.choices, 'opened choices');
    },
  });
  cases.push({
    file: 'ballots.json', name: 'invalid ballots cover every check', run: () => {
      const seen = new Set(doc.cases.filter((c: Case) => c.valid === false).map((c: Case) => c.expect_error));
      for (const k of ['V5', 'V6', 'V7', 'V8', 'V9', 'not_canonical', 'duplicate_key']) ok(seen.has(k), `no ${k} case`);
    },
  });
  return cases;
};

// receipts.json (spec §5.7, §8)
const receipts: Builder = (doc, docs) => {
  const boardCase = doc.cases.find((c: Case) => c.kind === 'board');
  const els = electionsOf(docs);
  const ballotCases: Record<string, Case> = Object.fromEntries((docs['ballots.json']?.cases ?? []).map((c: Case) => [c.name, c]));
  const leaves = (): Uint8Array[] => {
    ok(boardCase, 'receipts.json has no board case');
    return boardCase.leaf_hashes.map(b);
  };
  const cases = perCase('receipts.json', doc, {
    board: (c) => {
      const entries = c.entries.map(b);
      const ls = entries.map(leafHash);
      jsonEq(ls.map(toHex), c.leaf_hashes, 'leaf hashes');
      eq(c.roots.length, entries.length + 1, 'root count');
      for (let s = 0; s <= ls.length; s++) eq(toHex(root(ls.slice(0, s))), c.roots[s], `root of size ${s}`);
      const el = els[c.election];
      ok(el, `unknown election ${c.election}`);
      const named: Record<string, string> = { manifest: el.manifest_hex, credentials: el.credential_entries[0].hex, 'credentials-final': el.credential_entries[1].hex, open: el.open_hex };
      c.labels.forEach((label: string, i: number) => {
        const [kind, name] = [label.split(' ')[0]!, label.split(' ').slice(1).join(' ')];
        const want = name ? ballotCases[name]?.bytes : named[kind];
        eq(c.entries[i], want, `entry ${i} (${label})`);
      });
    },
    inclusion: (c) => {
      const path = inclusionProof(leaves(), c.index, c.size);
      jsonEq(path.map(toHex), c.path, 'path');
      eq(c.root, boardCase.roots[c.size], 'root');
      checkInclusion(b(c.leaf_hash), c.index, c.size, path, b(c.root), 'VEC');
    },
    consistency: (c) => {
      const proof = c.proof.map(b);
      if (c.valid === false) {
        throws(() => checkConsistency(c.old_size, c.new_size, b(c.old_root), b(c.new_root), proof, 'VEC'), 'consistency', (e) => eq(codeOf(e), c.expect_error, 'error'));
        return;
      }
      jsonEq(consistencyProof(leaves(), c.old_size, c.new_size).map(toHex), c.proof, 'proof');
      checkConsistency(c.old_size, c.new_size, b(c.old_root), b(c.new_root), proof, 'VEC');
    },
    checkpoint: (c) => {
      const secret = b(c.board_secret);
      eq(toHex(bip340.publicKey(secret)), c.board_key, 'board key');
      const cp: Checkpoint = { election: c.election, size: c.size, root: b(c.root), time: c.time, boardKey: b(c.board_key), sig: b(c.sig) };
      eq(toHex(checkpointBodyBytes(cp)), c.body_hex, 'body');
      eq(toHex(utf8(c.body)), c.body_hex, 'body text');
      eq(toHex(encodeParts('checkpoint', [checkpointBodyBytes(cp)])), c.message_preimage, 'message preimage');
      eq(toHex(checkpointMessage(cp)), c.message, 'message');
      eq(toHex(bip340.sign(secret, checkpointMessage(cp), b(c.aux))), c.sig, 'signature');
      verifyCheckpoint(c.wire, c.board_key, c.election);
      jsonEq(checkpointToJson(cp), c.wire, 'wire');
      eq(toHex(canonical(c.wire)), c.wire_hex, 'wire bytes');
      jsonEq(checkpointToJson(parseCheckpoint(parseCanonical(b(c.wire_hex)))), c.wire, 'parsed wire');
      eq(c.root, boardCase.roots[c.size], 'root of the board');
      const el = els[boardCase.election];
      eq(c.election, el.manifest_hash, 'election id');
      eq(c.board_key, el.manifest.board_key, "manifest's board key");
    },
    receipt: (c) => {
      const entry = b(boardCase.entries[c.entry_index]);
      const el = els[boardCase.election];
      eq(c.board_key, el.manifest.board_key, "manifest's board key");
      eq(c.manifest_hash, el.manifest_hash, 'manifest hash');
      const check = (): unknown => checkReceipt(c.receipt, c.board_key, c.manifest_hash, entry);
      if (c.valid === false) {
        throws(check, 'receipt', (e) => {
          ok(e instanceof ReceiptError, `expected ReceiptError, got ${String(e)}`);
          eq(e.code, c.expect_error, 'first failing step');
        });
      } else {
        const r = check() as Case;
        eq(r.status, 'included', 'status');
      }
    },
  });
  cases.push({
    file: 'receipts.json', name: 'receipt refusals cover every step', run: () => {
      const seen = new Set(doc.cases.filter((c: Case) => c.kind === 'receipt' && c.valid === false).map((c: Case) => c.expect_error));
      for (const k of ['bad_checkpoint', 'tracking_mismatch', 'leaf_mismatch', 'wrong_election', 'wrong_board_key', 'bad_signature', 'inclusion_failed']) ok(seen.has(k), `no ${k} case`);
    },
  });
  return cases;
};

// cosignatures.json (spec §5.2 "witnesses", §5.7, §8.8)
const cosignatures: Builder = (doc) => {
  const byName: Record<string, Case> = Object.fromEntries(doc.cases.map((c: Case) => [c.name, c]));
  const witnessed = (): Case => {
    const m = byName['manifest/witnesses-2-of-3'];
    ok(m, 'cosignatures.json has no manifest/witnesses-2-of-3 case');
    return m;
  };
  const entries = (): Uint8Array[] => {
    const bc = byName['board/witnessed'];
    ok(bc, 'cosignatures.json has no board/witnessed case');
    return bc.entries.map(b);
  };
  const policyOf = (o: Case): WitnessPolicy => ({ keys: o.keys.map(b), threshold: o.threshold });
  const keysOf = (css: readonly { witness: Uint8Array }[]): string[] => css.map((c) => toHex(c.witness));
  const cases = perCase('cosignatures.json', doc, {
    manifest: (c) => {
      if (c.valid === false) {
        throws(() => parseManifest(c.manifest), 'manifest', (e) => {
          ok(e instanceof MalformedInput, `expected MalformedInput, got ${String(e)}`);
          eq(e.code, c.expect_error, 'error code');
          ok(e.message.includes('witnesses'), `error does not name the witnesses field: ${e.message}`);
          if (/^manifest\/names?-/.test(c.name) && !c.name.includes('-and-key-')) {
            ok(e.message.includes('manifest.witnesses.names'), `error does not name the names field: ${e.message}`);
          }
        });
        return;
      }
      const m = parseManifest(parseCanonical(b(c.manifest_hex)));
      eq(toHex(canonical(m.entry)), c.manifest_hex, 'manifest bytes');
      eq(toHex(m.hash), c.manifest_hash, 'manifest hash');
      const names = m.witnesses.names;
      jsonEq({ keys: m.witnesses.keys.map(toHex), threshold: m.witnesses.threshold, ...(names ? { names } : {}) }, c.witnesses, 'witnesses');
      m.witnesses.keys.forEach((k, i) => jsonEq(witnessName(m.witnesses, k), c.witnesses.names?.[i] ?? null, `name of key ${i}`));
      eq(witnessName(m.witnesses, new Uint8Array(32)), null, 'name of an unlisted key');
      if (c.aux) jsonEq(signEntry(withoutSig(c.manifest), b(c.organizer_secret), b(c.aux)), c.manifest, 're-signed with the fixed aux');
    },
    board: (c) => eq(c.entries[0], witnessed().manifest_hex, 'entry 0 is the witnessed manifest'),
    checkpoint: (c) => {
      const cp = verifyCheckpoint(c.wire, c.board_key, c.election);
      eq(toHex(checkpointMessage(cp)), c.message, 'message');
      eq(toHex(canonical(checkpointToJson(cp))), c.wire_hex, 'wire bytes');
      eq(c.election, witnessed().manifest_hash, 'election id');
      eq(c.board_key, witnessed().manifest.board_key, "manifest's board key");
      eq(toHex(cp.root), toHex(root(entries().slice(0, c.size).map(leafHash))), 'root of the board');
    },
    cosignature: (c) => {
      const cp = parseCheckpoint(c.checkpoint);
      const cs = parseCosignature(parseCanonical(b(c.wire_hex)));
      jsonEq(cosignatureToJson(cs), c.wire, 'wire');
      eq(toHex(canonical(cosignatureToJson(cs))), c.wire_hex, 'wire bytes');
      if (c.valid === false) {
        throws(() => verifyCosignature(cs, cp, 'VEC'), 'cosignature', (e) => {
          ok(e instanceof InvalidProof, `expected InvalidProof, got ${String(e)}`);
          eq(e.code, c.expect_error, 'error code');
          eq(e.check, 'VEC', 'check id');
        });
        return;
      }
      const secret = b(c.witness_secret);
      eq(toHex(bip340.publicKey(secret)), c.witness, 'witness key');
      eq(toHex(cs.witness), c.witness, 'witness field');
      eq(toHex(cs.checkpoint), c.checkpoint_message, 'checkpoint field');
      eq(toHex(checkpointMessage(cp)), c.checkpoint_message, "the checkpoint's message");
      eq(toHex(cosignatureBodyBytes(cs)), c.body_hex, 'body');
      eq(toHex(utf8(c.body)), c.body_hex, 'body text');
      eq(toHex(encodeParts('cosignature', [cosignatureBodyBytes(cs)])), c.message_preimage, 'message preimage');
      eq(toHex(cosignatureMessage(cs)), c.message, 'message');
      eq(toHex(bip340.sign(secret, cosignatureMessage(cs), b(c.aux))), c.sig, 'signature');
      verifyCosignature(cs, cp, 'VEC');
    },
    'cosignature-wire': (c) => throws(() => parseCosignature(parseCanonical(b(c.wire_hex))), 'wire', (e) => {
      ok(e instanceof MalformedInput, `expected MalformedInput, got ${String(e)}`);
      eq(e.code, c.expect_error, 'error code');
    }),
    policy: (c) => {
      const pol = policyOf(c.policy);
      const cp = parseCheckpoint(c.checkpoint);
      const css = c.cosignatures.map(parseCosignature);
      jsonEq(keysOf(validCosigners(pol, cp, css)), c.cosigners, 'valid cosigners');
      if (c.valid === false) {
        throws(() => requireWitnesses(pol, cp, css, 'VEC'), 'threshold', (e) => eq(codeOf(e), c.expect_error, 'error code'));
      } else {
        jsonEq(keysOf(requireWitnesses(pol, cp, css, 'VEC')), c.cosigners, 'required cosigners');
      }
    },
    receipt: (c) => {
      eq(c.manifest_hash, witnessed().manifest_hash, 'manifest hash');
      jsonEq(c.witnesses, witnessed().witnesses, 'witnesses');
      const pol = parseWitnessPolicy(c.witnesses);
      const entry = entries()[c.entry_index]!;
      const check = (): ReturnType<typeof checkReceipt> => checkReceipt(c.receipt, c.board_key, c.manifest_hash, entry, pol);
      if (c.valid === false && c.expect_error !== 'not_witnessed') {
        throws(check, 'receipt', (e) => {
          ok(e instanceof ReceiptError, `expected ReceiptError, got ${String(e)}`);
          eq(e.code, c.expect_error, 'first failing step');
        });
        return;
      }
      const r = check();
      eq(r.status, 'included', 'status');
      jsonEq(keysOf(r.cosigners), c.cosigners, 'valid cosigners');
      eq(r.required, pol.threshold, 'required');
      if (c.valid === false) {
        eq(r.witnessed, false, 'witnessed');
        throws(() => requireWitnessed(r), 'witnessed receipt', (e) => eq(codeOf(e), 'not_witnessed', 'error code'));
      } else {
        eq(r.witnessed, true, 'witnessed');
        requireWitnessed(r);
      }
    },
  });
  cases.push({
    file: 'cosignatures.json', name: 'refusals cover every outcome', run: () => {
      const seen = new Set(doc.cases.filter((c: Case) => c.valid === false).map((c: Case) => `${c.kind}:${c.expect_error}`));
      for (const k of ['manifest:bad_field', 'manifest:bad_point', 'manifest:bad_encoding', 'cosignature:wrong_checkpoint',
        'cosignature:bad_signature', 'cosignature-wire:bad_cosignature', 'cosignature-wire:not_canonical', 'policy:not_witnessed',
        'receipt:not_witnessed', 'receipt:bad_cosignature', 'receipt:inclusion_failed']) ok(seen.has(k), `no ${k} case`);
      // named witnesses: a valid manifest with names, and refusals of every code (keys before names)
      const named = doc.cases.filter((c: Case) => c.kind === 'manifest' && typeof c.manifest.witnesses === 'object'
        && c.manifest.witnesses !== null && !Array.isArray(c.manifest.witnesses) && 'names' in c.manifest.witnesses);
      ok(named.some((c: Case) => c.valid), 'no manifest with named witnesses');
      const namedCodes = new Set(named.filter((c: Case) => c.valid === false).map((c: Case) => c.expect_error));
      for (const k of ['bad_field', 'bad_point', 'bad_encoding']) ok(namedCodes.has(k), `no named-witnesses ${k} case`);
    },
  });
  return cases;
};

// public/rfc9162-merkle.json (transparency-dev test data)
const rfc9162: Builder = (doc) => {
  const file = 'public/rfc9162-merkle.json';
  ok(Array.isArray(doc?.leaf_inputs) && Array.isArray(doc.root_hashes) && Array.isArray(doc.inclusion) && Array.isArray(doc.consistency), `${file}: unexpected layout`);
  ok(doc.inclusion.length > 0 && doc.consistency.length > 0, `${file}: no cases`);
  const ls = (): Uint8Array[] => doc.leaf_inputs.map((h: string) => leafHash(b(h)));
  const cases: VectorCase[] = [{
    file, name: 'roots', run: () => {
      eq(doc.root_hashes.length, doc.leaf_inputs.length + 1, 'root count');
      for (let k = 0; k < doc.root_hashes.length; k++) eq(toHex(root(ls().slice(0, k))), doc.root_hashes[k], `root of size ${k}`);
    },
  }];
  for (const c of doc.inclusion) {
    cases.push({
      file, name: `inclusion ${c.leaf_index} of ${c.tree_size}`, run: () => {
        const leaves = ls();
        jsonEq(inclusionProof(leaves, c.leaf_index, c.tree_size).map(toHex), c.path, 'path');
        checkInclusion(leaves[c.leaf_index]!, c.leaf_index, c.tree_size, c.path.map(b), b(doc.root_hashes[c.tree_size]), 'VEC');
        throws(() => checkInclusion(leaves[c.leaf_index]!, c.leaf_index, c.tree_size, c.path.map(b), b(doc.root_hashes[c.tree_size - 1]), 'VEC'), 'path against the previous root', (e) => eq(codeOf(e), 'inclusion_failed', 'error'));
      },
    });
  }
  for (const c of doc.consistency) {
    cases.push({
      file, name: `consistency ${c.size1} to ${c.size2}`, run: () => {
        jsonEq(consistencyProof(ls(), c.size1, c.size2).map(toHex), c.proof, 'proof');
        checkConsistency(c.size1, c.size2, b(doc.root_hashes[c.size1]), b(doc.root_hashes[c.size2]), c.proof.map(b), 'VEC');
      },
    });
  }
  return cases;
};

// public/bip340-test-vectors.csv (BIP340, through the verify that checkpoints use)
function bip340Cases(text: string): VectorCase[] {
  const file = 'public/bip340-test-vectors.csv';
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  ok(lines[0]?.startsWith('index,secret key,public key,aux_rand,message,signature,verification result'), `${file}: unexpected header`);
  ok(lines.length > 1, `${file}: no cases`);
  return lines.slice(1).map((line) => {
    const [index, sk, pk, aux, msg, sig, result, comment] = line.split(',');
    return {
      file, name: `row ${index}${comment ? `: ${comment}` : ''}`, run: () => {
        const lo = (h: string | undefined): Uint8Array => b((h ?? '').toLowerCase());
        ok(result === 'TRUE' || result === 'FALSE', `bad result column ${result}`);
        if (sk) {
          eq(toHex(bip340.publicKey(lo(sk))), pk!.toLowerCase(), 'public key');
          eq(toHex(bip340.sign(lo(sk), lo(msg), lo(aux))), sig!.toLowerCase(), 'signature');
        }
        eq(bip340.verify(lo(pk), lo(msg), lo(sig)), result === 'TRUE', 'verification result');
      },
    };
  });
}

const BUILDERS: Record<string, Builder> = {
  'hashing.json': hashing, 'points.json': points, 'elgamal.json': elgamal, 'proofs.json': proofs,
  'canonical.json': canonicalFile, 'election.json': election, 'credentials.json': credentials,
  'ballots.json': ballots, 'receipts.json': receipts, 'cosignatures.json': cosignatures,
  'public/rfc9162-merkle.json': rfc9162,
};

/** Every check of every vector file, from the files' texts keyed by their path relative to
 * tests/vectors ("ballots.json", "public/rfc9162-merkle.json", …). A missing, unknown or
 * malformed file yields one failing check instead of cases. */
export function buildSuite(texts: Readonly<Record<string, string>>): VectorFile[] {
  const docs: Docs = {};
  const out: VectorFile[] = [];
  const broken = (file: string, e: unknown): VectorFile => ({ file, cases: [{ file, name: 'file', run: () => { throw e instanceof Error ? e : new Error(String(e)); } }] });
  for (const file of Object.keys(texts)) {
    if (!ALL_FILES.includes(file)) out.push(broken(file, new VectorFailure(`${file}: unknown vector file (add its checks to src/crypto/vectors.ts)`)));
  }
  for (const file of ALL_FILES) {
    const text = texts[file];
    if (text === undefined) {
      out.push(broken(file, new VectorFailure(`${file}: missing`)));
      continue;
    }
    try {
      if (file.endsWith('.csv')) {
        out.push({ file, cases: bip340Cases(text) });
      } else {
        docs[file] = JSON.parse(text);
        out.push({ file, cases: BUILDERS[file]!(docs[file], docs) });
      }
    } catch (e) {
      out.push(broken(file, e));
    }
  }
  return out;
}

export interface SuiteResult {
  passed: number;
  failed: { file: string; name: string; error: string }[];
  counts: Record<string, number>;
}

/** Run every check; never throws. */
export function runSuite(files: readonly VectorFile[]): SuiteResult {
  const res: SuiteResult = { passed: 0, failed: [], counts: {} };
  for (const f of files) {
    res.counts[f.file] = f.cases.length;
    for (const c of f.cases) {
      try {
        c.run();
        res.passed++;
      } catch (e) {
        res.failed.push({ file: c.file, name: c.name, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      }
    }
  }
  return res;
}
