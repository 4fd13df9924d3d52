/**
 * Zero-knowledge proofs in commitment form (spec §6), as crypto/proofs.py: Schnorr proof of
 * knowledge (§6.1), Chaum–Pedersen equality of discrete logs (§6.2) and the disjunctive proof
 * that a ciphertext encrypts one of a set of allowed values (§6.3).
 *
 * Verification recomputes every challenge and compares it (strong Fiat–Shamir), requires every
 * scalar < n, then checks the equations, directly or added with fresh 128-bit weights to a
 * `Batch` (spec §6.5). Check order, and the error code of each step (docs/vectors.md):
 * branch_count, scalar_out_of_range, identity_point, challenge_mismatch, equation_failed.
 */
import { pippenger } from '@noble/curves/abstract/curve.js';
import { randomBytes } from '@noble/curves/utils.js';
import { bytesToBig, concat, toHex, u32 } from './bytes.ts';
import type { Ciphertext } from './elgamal.ts';
import { InvalidProof } from './errors.ts';
import { hashToScalar } from './hashing.ts';
import {
  G, ORDER, PointClass, encodePoint, mod, mul, mulG, mulPublic, randomScalar, type Point,
} from './group.ts';

/** Schnorr proof: h = u·G; c = Hq("pok", ctx, X, h); v = u + c·x (§6.1). */
export interface SchnorrProof {
  readonly h: Point;
  readonly c: bigint;
  readonly v: bigint;
}

/** Chaum–Pedersen proof: a = u·G, b = u·H; c = Hq("dleq", ctx, X, H, Y, a, b); v = u + c·x (§6.2). */
export interface EqualityProof {
  readonly a: Point;
  readonly b: Point;
  readonly c: bigint;
  readonly v: bigint;
}

/** One value j of the disjunction of §6.3. */
export type Branch = EqualityProof;
/** Branches in the order of the allowed values. */
export type InSetProof = readonly Branch[];

export interface VerifyOptions {
  /** Verifier check id carried by the InvalidProof (e.g. "V7"). */
  readonly check: string;
  /** What is being checked, for the message (e.g. "selection 0"). */
  readonly what: string;
  /** Add the equations to this batch instead of checking them now. */
  readonly batch?: Batch;
}

// -- batch verification (spec §6.5) ----------------------------------------------------------

/** Σ coefficient·point over many proof equations; `check` asserts it is the identity.
 * Each equation enters multiplied by a fresh 128-bit weight from the CSPRNG. */
export class Batch {
  private g = 0n;
  private readonly terms = new Map<string, { p: Point; coef: bigint }>();

  /** A fresh odd 128-bit weight. */
  static weight(): bigint {
    return bytesToBig(randomBytes(16)) | 1n;
  }

  add(coef: bigint, p: Point): void {
    if (p.is0()) return;
    if (p.equals(G)) {
      this.g += coef;
      return;
    }
    const key = toHex(encodePoint(p));
    const t = this.terms.get(key);
    if (t) t.coef += coef;
    else this.terms.set(key, { p, coef });
  }

  addG(coef: bigint): void {
    this.g += coef;
  }

  /** True when Σ coefficient·point is the identity (one multi-scalar multiplication). */
  isZero(): boolean {
    const points: Point[] = [G];
    const scalars: bigint[] = [mod(this.g)];
    for (const { p, coef } of this.terms.values()) {
      points.push(p);
      scalars.push(mod(coef));
    }
    return pippenger(PointClass, points, scalars).is0();
  }

  check(check: string, what: string): void {
    if (!this.isZero()) throw new InvalidProof(check, `${what}: proof equations do not hold`, 'equation_failed');
  }
}

function scalarsInRange(o: VerifyOptions, ...ks: bigint[]): void {
  for (const k of ks) {
    if (k < 0n || k >= ORDER) throw new InvalidProof(o.check, `${o.what}: scalar out of range [0, n)`, 'scalar_out_of_range');
  }
}

function equation(o: VerifyOptions, ok: boolean): void {
  if (!ok) throw new InvalidProof(o.check, `${o.what}: proof equations do not hold`, 'equation_failed');
}

function mismatch(o: VerifyOptions): never {
  throw new InvalidProof(o.check, `${o.what}: challenge does not match the statement`, 'challenge_mismatch');
}

// -- Schnorr proof of knowledge of x with X = x·G (spec §6.1) --------------------------------

function pokChallenge(context: Uint8Array, X: Point, h: Point): bigint {
  return hashToScalar('pok', context, encodePoint(X), encodePoint(h));
}

export function proveKnowledge(context: Uint8Array, x: bigint, X: Point, rand: () => bigint = randomScalar): SchnorrProof {
  const u = rand();
  const h = mulG(u);
  const c = pokChallenge(context, X, h);
  return { h, c, v: mod(u + c * x) };
}

export function verifyKnowledge(context: Uint8Array, X: Point, proof: SchnorrProof, o: VerifyOptions): void {
  scalarsInRange(o, proof.c, proof.v);
  if (X.is0() || proof.h.is0()) {
    throw new InvalidProof(o.check, `${o.what}: identity point in proof of knowledge`, 'identity_point');
  }
  if (pokChallenge(context, X, proof.h) !== proof.c) mismatch(o);
  if (o.batch) {
    const z = Batch.weight();
    o.batch.addG(z * proof.v);
    o.batch.add(-z, proof.h);
    o.batch.add(-z * proof.c, X);
    return;
  }
  equation(o, mulPublic(G, proof.v).equals(proof.h.add(mulPublic(X, proof.c))));
}

// -- Chaum–Pedersen: log_G X = log_H Y (spec §6.2) ------------------------------------------

function dleqChallenge(context: Uint8Array, X: Point, H: Point, Y: Point, a: Point, b: Point): bigint {
  return hashToScalar('dleq', context, encodePoint(X), encodePoint(H), encodePoint(Y), encodePoint(a), encodePoint(b));
}

export function proveEqualLogs(context: Uint8Array, x: bigint, H: Point, X: Point, Y: Point, rand: () => bigint = randomScalar): EqualityProof {
  const u = rand();
  const a = mulG(u);
  const b = mul(H, u);
  const c = dleqChallenge(context, X, H, Y, a, b);
  return { a, b, c, v: mod(u + c * x) };
}

export function verifyEqualLogs(context: Uint8Array, H: Point, X: Point, Y: Point, proof: EqualityProof, o: VerifyOptions): void {
  scalarsInRange(o, proof.c, proof.v);
  if (dleqChallenge(context, X, H, Y, proof.a, proof.b) !== proof.c) mismatch(o);
  const { a, b, c, v } = proof;
  if (o.batch) {
    const z1 = Batch.weight();
    const z2 = Batch.weight();
    o.batch.addG(z1 * v);
    o.batch.add(-z1, a);
    o.batch.add(-z1 * c, X);
    o.batch.add(z2 * v, H);
    o.batch.add(-z2, b);
    o.batch.add(-z2 * c, Y);
    return;
  }
  equation(o, mulPublic(G, v).equals(a.add(mulPublic(X, c))) && mulPublic(H, v).equals(b.add(mulPublic(Y, c))));
}

// -- disjunctive proof: (α, β) encrypts some m ∈ allowed (spec §6.3) -----------------------

/** u32(|S|) ‖ u32(s₁) ‖ … : the allowed set as it enters the challenge. */
export function allowedBytes(allowed: readonly number[]): Uint8Array {
  return concat(u32(allowed.length), ...allowed.map(u32));
}

/** The parts hashed for the in-set challenge (tag "in-set"), for preimage comparisons. */
export function inSetChallengeParts(context: Uint8Array, K: Point, ct: Ciphertext, allowed: readonly number[], commitments: readonly Point[]): Uint8Array[] {
  return [context, encodePoint(K), encodePoint(ct.alpha), encodePoint(ct.beta), allowedBytes(allowed), ...commitments.map(encodePoint)];
}

function inSetChallenge(context: Uint8Array, K: Point, ct: Ciphertext, allowed: readonly number[], commitments: readonly Point[]): bigint {
  return hashToScalar('in-set', ...inSetChallengeParts(context, K, ct, allowed, commitments));
}

/** Prove ct = (r·G, m·G + r·K) with m ∈ allowed, revealing nothing else about m. Draws from
 * `rand`: u, then c_j, v_j for each other j in the order of `allowed` (§6.3, docs/vectors.md). */
export function proveInSet(context: Uint8Array, K: Point, ct: Ciphertext, m: number, r: bigint, allowed: readonly number[], rand: () => bigint = randomScalar): InSetProof {
  if (!allowed.includes(m)) throw new RangeError('plaintext is not in the allowed set');
  const u = rand();
  const sims = new Map<number, { c: bigint; v: bigint }>();
  const commits: Point[] = [];
  for (const j of allowed) {
    if (j === m) {
      commits.push(mulG(u), mul(K, u));
    } else {
      const c = rand();
      const v = rand();
      sims.set(j, { c, v });
      commits.push(mulG(v).subtract(mul(ct.alpha, c)));
      commits.push(mul(K, v).subtract(mul(ct.beta.subtract(mulG(BigInt(j))), c)));
    }
  }
  const c = inSetChallenge(context, K, ct, allowed, commits);
  let simSum = 0n;
  for (const s of sims.values()) simSum += s.c;
  const cReal = mod(c - simSum);
  return allowed.map((j, i) => {
    const a = commits[2 * i]!;
    const b = commits[2 * i + 1]!;
    if (j === m) return { a, b, c: cReal, v: mod(u + cReal * r) };
    const s = sims.get(j)!;
    return { a, b, c: s.c, v: s.v };
  });
}

export function verifyInSet(context: Uint8Array, K: Point, ct: Ciphertext, proof: InSetProof, allowed: readonly number[], o: VerifyOptions): void {
  if (proof.length !== allowed.length) {
    throw new InvalidProof(o.check, `${o.what}: ${proof.length} branches for ${allowed.length} allowed values`, 'branch_count');
  }
  let csum = 0n;
  const commits: Point[] = [];
  for (const br of proof) {
    scalarsInRange(o, br.c, br.v);
    commits.push(br.a, br.b);
    csum += br.c;
  }
  if (inSetChallenge(context, K, ct, allowed, commits) !== mod(csum)) {
    throw new InvalidProof(o.check, `${o.what}: challenges do not add up to the hash of the statement`, 'challenge_mismatch');
  }
  if (o.batch) {
    const bt = o.batch;
    let alphaCoef = 0n;
    let betaCoef = 0n;
    let g = 0n;
    allowed.forEach((j, i) => {
      const br = proof[i]!;
      const z1 = Batch.weight();
      const z2 = Batch.weight();
      g += z1 * br.v + z2 * br.c * BigInt(j);
      bt.add(-z1, br.a);
      alphaCoef -= z1 * br.c;
      bt.add(z2 * br.v, K);
      bt.add(-z2, br.b);
      betaCoef -= z2 * br.c;
    });
    bt.addG(g);
    bt.add(alphaCoef, ct.alpha);
    bt.add(betaCoef, ct.beta);
    return;
  }
  allowed.forEach((j, i) => {
    const { a, b, c, v } = proof[i]!;
    const shifted = ct.beta.subtract(mulG(BigInt(j)));
    equation(o, mulPublic(G, v).equals(a.add(mulPublic(ct.alpha, c))));
    equation(o, mulPublic(K, v).equals(b.add(mulPublic(shifted, c))));
  });
}

