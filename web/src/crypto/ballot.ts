/**
 * Encrypted ballots (spec §5.5) and the Benaloh audit (spec §5.6), as protocol/ballot.py:
 * one ciphertext per stored option with a 0/1 proof, a proof that the selections add up to an
 * allowed total, all bound to the election and the casting credential, signed by the credential.
 * `encryptBallot` makes byte-identical entries to Python's `encrypt_ballot` for the same draws.
 */
import * as bip340 from './bip340.ts';
import { equalBytes, toHex } from './bytes.ts';
import { canonical, type Json, type JsonObject } from './canonical.ts';
import * as codec from './codec.ts';
import { sumCiphertexts, type Ciphertext } from './elgamal.ts';
import { encrypt } from './elgamal.ts';
import { MalformedInput, Rejected } from './errors.ts';
import { ORDER, encodePoint, mod, mul, mulG, randomScalar, scalarBytes } from './group.ts';
import { hashParts } from './hashing.ts';
import { Batch, proveInSet, verifyInSet, type InSetProof } from './proofs.ts';
import { TOTAL_INDEX, proofContext, type BoothContext } from './election.ts';
import { signEntry, verifyEntry } from './signing.ts';

const BIT = [0, 1] as const;
const BALLOT_KEYS = ['type', 'election', 'credential', 'selections', 'total_proof', 'sig'];

/** H("tracking", canonical ballot bytes): names a ballot on receipts and the board (§5.5). */
export function trackingCode(ballotBytes: Uint8Array): Uint8Array {
  return hashParts('tracking', ballotBytes);
}

/** 0/1 per option from the indices a voter selected; refuses a disallowed count (§5.5). */
export function choiceVector(ctx: BoothContext, selected: readonly number[]): number[] {
  const m = ctx.manifest;
  const n = m.options.length;
  if (new Set(selected).size !== selected.length || selected.some((i) => !Number.isInteger(i) || i < 0 || i >= n)) {
    throw new RangeError('selected options must be distinct option indices');
  }
  if (selected.length < m.minSelections || selected.length > m.maxSelections) {
    throw new RangeError(`select between ${m.minSelections} and ${m.maxSelections} options`);
  }
  return Array.from({ length: n }, (_, i) => (selected.includes(i) ? 1 : 0));
}

function proofToJson(p: InSetProof): Json[] {
  return p.map((b) => ({ a: codec.pointHex(b.a), b: codec.pointHex(b.b), c: toHex(scalarBytes(b.c)), v: toHex(scalarBytes(b.v)) }));
}

function proofFromJson(v: unknown, field: string, branches: number): InSetProof {
  return codec.array(v, field, branches, branches).map((item, i) => {
    const f = `${field}[${i}]`;
    const o = codec.obj(item, f, ['a', 'b', 'c', 'v']);
    return { a: codec.point(o['a'], `${f}.a`), b: codec.point(o['b'], `${f}.b`), c: codec.scalar(o['c'], `${f}.c`), v: codec.scalar(o['v'], `${f}.v`) };
  });
}

/** A ballot as the booth made it. `nonces` stay secret unless the voter audits the ballot. */
export interface EncryptedBallot {
  /** The signed ballot entry (a JSON object). */
  readonly entry: JsonObject;
  /** Its exact canonical bytes: what to POST to /api/ballots. */
  readonly bytes: Uint8Array;
  /** H("tracking", bytes). */
  readonly trackingCode: Uint8Array;
  /** The stored 0/1 vector. */
  readonly choices: readonly number[];
  /** rᵢ of each stored selection. */
  readonly nonces: readonly bigint[];
  /** The voter's x-only credential key. */
  readonly credential: Uint8Array;
  /** The Benaloh audit entry opening this ballot (spec §5.6); never cast it afterwards. */
  audit(): JsonObject;
}

export interface EncryptOptions {
  /** Random scalars in [1, n), in draw order (docs/vectors.md); all must be used. Tests only. */
  readonly rand?: readonly bigint[];
  /** The signature's BIP340 aux (32 bytes). Tests only: fresh by default. */
  readonly aux?: Uint8Array;
}

function drawFrom(list: readonly bigint[] | undefined): { draw: () => bigint; done: () => void } {
  if (list === undefined) return { draw: randomScalar, done: () => undefined };
  let i = 0;
  return {
    draw: () => {
      if (i >= list.length) throw new RangeError('the rand list has too few draws');
      const k = list[i++]!;
      if (k <= 0n || k >= ORDER) throw new RangeError('every draw must be a scalar in [1, n)');
      return k;
    },
    done: () => {
      if (i !== list.length) throw new RangeError(`the rand list has ${list.length - i} unused draws`);
    },
  };
}

/** Encrypt the voter's choice and prove it well-formed (spec §5.5). Draw order: per stored
 * selection its nonce r then its proof's draws (u, c, v), then the total proof's draws. */
export function encryptBallot(ctx: BoothContext, secret: Uint8Array, selected: readonly number[], opts: EncryptOptions = {}): EncryptedBallot {
  const m = ctx.manifest;
  const credential = bip340.publicKey(secret);
  const stored = choiceVector(ctx, selected).slice(0, m.storedOptions);
  const { draw, done } = drawFrom(opts.rand);
  const sels: Json[] = [];
  const cts: Ciphertext[] = [];
  const rs: bigint[] = [];
  stored.forEach((bit, i) => {
    const { ct, r } = encrypt(ctx.jointKey, bit, undefined, draw);
    const proof = proveInSet(proofContext(ctx, credential, i), ctx.jointKey, ct, bit, r, BIT, draw);
    cts.push(ct);
    rs.push(r);
    sels.push({ alpha: codec.pointHex(ct.alpha), beta: codec.pointHex(ct.beta), proof: proofToJson(proof) });
  });
  let totalProof: Json = null;
  const allowed = m.totalAllowed;
  if (allowed !== null) {
    const total = stored.reduce((a, b) => a + b, 0);
    const rsum = mod(rs.reduce((a, b) => a + b, 0n));
    const tp = proveInSet(proofContext(ctx, credential, TOTAL_INDEX), ctx.jointKey, sumCiphertexts(cts), total, rsum, allowed, draw);
    totalProof = proofToJson(tp);
  }
  done();
  const unsigned: JsonObject = { type: 'ballot', election: toHex(ctx.hash), credential: toHex(credential), selections: sels, total_proof: totalProof };
  const entry = signEntry(unsigned, secret, opts.aux);
  const bytes = canonical(entry);
  const choices = Object.freeze([...stored]);
  const nonces = Object.freeze([...rs]);
  return {
    entry, bytes, trackingCode: trackingCode(bytes), choices, nonces, credential,
    audit: () => ({ type: 'audit', ballot: entry, choices: [...choices], nonces: nonces.map((r) => toHex(scalarBytes(r))) }),
  };
}

/** A parsed ballot whose signature and proofs have been checked. */
export interface VerifiedBallot {
  readonly credential: Uint8Array;
  readonly ciphertexts: readonly Ciphertext[];
  /** The `a` of every proof branch (unique across the record, V11). */
  readonly commitments: readonly Uint8Array[];
}

/** Structure checks (V5): exact fields, this election, right number of ciphertexts. */
function parseBallot(ctx: BoothContext, entry: unknown): { ballot: VerifiedBallot; proofs: InSetProof[]; total: InSetProof | null } {
  const m = ctx.manifest;
  const o = codec.obj(entry, 'ballot', BALLOT_KEYS);
  if (o['type'] !== 'ballot') throw new MalformedInput("ballot.type must be 'ballot'", 'bad_field');
  if (!equalBytes(codec.hexBytes(o['election'], 32, 'ballot.election'), ctx.hash)) {
    throw new Rejected('ballot is for another election', 'wrong_election', 'V5');
  }
  const credential = codec.hexBytes(o['credential'], 32, 'ballot.credential');
  const sels = o['selections'];
  if (!Array.isArray(sels) || sels.length !== m.storedOptions) {
    throw new Rejected(`ballot must carry ${m.storedOptions} encrypted selections`, 'bad_structure', 'V5');
  }
  const cts: Ciphertext[] = [];
  const proofs: InSetProof[] = [];
  sels.forEach((s, i) => {
    const f = `ballot.selections[${i}]`;
    const so = codec.obj(s, f, ['alpha', 'beta', 'proof']);
    cts.push({ alpha: codec.point(so['alpha'], `${f}.alpha`), beta: codec.point(so['beta'], `${f}.beta`) });
    proofs.push(proofFromJson(so['proof'], `${f}.proof`, 2));
  });
  const allowed = m.totalAllowed;
  let total: InSetProof | null = null;
  if (allowed === null) {
    if (o['total_proof'] !== null) throw new Rejected('ballot.total_proof must be null for this election', 'bad_structure', 'V5');
  } else {
    total = proofFromJson(o['total_proof'], 'ballot.total_proof', allowed.length);
  }
  const branches = [...proofs, ...(total ? [total] : [])].flat();
  return { ballot: { credential, ciphertexts: cts, commitments: branches.map((b) => encodePoint(b.a)) }, proofs, total };
}

/** Check a ballot alone: structure (V5), signature (V6), 0/1 proofs (V7), total proof (V8).
 * Eligibility, uniqueness and re-voting need the record (spec §9). `entry` must come from
 * `parseCanonical` (or be built by `encryptBallot`). Throws MalformedInput (no check id: V5),
 * Rejected or InvalidProof (with `.check`). */
export function verifyBallot(ctx: BoothContext, entry: unknown): VerifiedBallot {
  const { ballot, proofs, total } = parseBallot(ctx, entry);
  const cred = ballot.credential;
  verifyEntry(entry as JsonObject, cred, 'V6', 'ballot');
  const batch = new Batch();
  ballot.ciphertexts.forEach((ct, i) => {
    verifyInSet(proofContext(ctx, cred, i), ctx.jointKey, ct, proofs[i]!, BIT, { check: 'V7', what: `selection ${i}`, batch });
  });
  batch.check('V7', 'ballot proofs');
  const allowed = ctx.manifest.totalAllowed;
  if (total !== null && allowed !== null) {
    verifyInSet(proofContext(ctx, cred, TOTAL_INDEX), ctx.jointKey, sumCiphertexts(ballot.ciphertexts), total, allowed, { check: 'V8', what: 'selection total' });
  }
  return ballot;
}

/** What an audit shows: the option indices the ballot selected, and its tracking code. */
export interface OpenedAudit {
  readonly selected: number[];
  readonly choices: number[];
  readonly trackingCode: Uint8Array;
  readonly credential: Uint8Array;
}

/** An opened ballot (V9): the ballot is valid and each (α, β) encrypts the stated choice under
 * the stated nonce. Returns the selected option indices (the implied last one included). */
export function verifyAuditDetailed(ctx: BoothContext, entry: unknown): OpenedAudit {
  const o = codec.obj(entry, 'audit', ['type', 'ballot', 'choices', 'nonces']);
  if (o['type'] !== 'audit') throw new MalformedInput("audit.type must be 'audit'", 'bad_field');
  const ballot = verifyBallot(ctx, o['ballot']);
  const n = ballot.ciphertexts.length;
  const choices = codec.array(o['choices'], 'audit.choices', n, n);
  const nonces = codec.array(o['nonces'], 'audit.nonces', n, n);
  const opened: number[] = [];
  ballot.ciphertexts.forEach((ct, i) => {
    const mi = codec.integer(choices[i], `audit.choices[${i}]`, 0, 1);
    const r = codec.scalar(nonces[i], `audit.nonces[${i}]`);
    if (!mulG(r).equals(ct.alpha) || !mulG(BigInt(mi)).add(mul(ctx.jointKey, r)).equals(ct.beta)) {
      throw new Rejected(`audit: selection ${i} does not open to the stated choice`, 'bad_audit', 'V9');
    }
    opened.push(mi);
  });
  const selected = opened.flatMap((b, i) => (b === 1 ? [i] : []));
  if (ctx.manifest.impliedLast && selected.length === 0) selected.push(ctx.manifest.options.length - 1);
  return { selected, choices: opened, trackingCode: trackingCode(canonical(o['ballot'])), credential: ballot.credential };
}

/** Contract form of `verifyAuditDetailed`: the selected option indices. */
export function verifyAudit(ctx: BoothContext, entry: unknown): number[] {
  return verifyAuditDetailed(ctx, entry).selected;
}

/** Convenience for the UI: does this audit open the ballot the booth just made? */
export function auditMatches(ballot: EncryptedBallot, audited: OpenedAudit): boolean {
  return equalBytes(ballot.trackingCode, audited.trackingCode);
}

