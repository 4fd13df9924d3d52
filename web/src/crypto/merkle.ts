/**
 * RFC 9162 §2.1 Merkle tree over SHA-256 (spec §8.1–§8.4), as protocol/merkle.py:
 *
 *     leaf_hash(d)    = SHA-256(0x00 ‖ d)
 *     node_hash(l, r) = SHA-256(0x01 ‖ l ‖ r)
 *     MTH({})         = SHA-256("")
 *
 * plus inclusion and consistency proof generation (for tests) and verification.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, equalBytes } from './bytes.ts';
import { InvalidProof } from './errors.ts';

export const HASH_BYTES = 32;
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));
const DEFAULT_CHECK = 'V-merkle';

/** SHA-256(0x00 ‖ entry): the hash of one log entry. */
export function leafHash(entry: Uint8Array): Uint8Array {
  return sha256(concat(new Uint8Array([0]), entry));
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concat(new Uint8Array([1]), left, right));
}

function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH of a list of leaf hashes (spec §8.2). */
export function root(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPow2Below(leaves.length);
  return nodeHash(root(leaves.slice(0, k)), root(leaves.slice(k)));
}

/** PATH(index, D[0:size]) of RFC 9162 §2.1.3.1 (spec §8.3). */
export function inclusionProof(leaves: readonly Uint8Array[], index: number, size: number): Uint8Array[] {
  if (!(Number.isInteger(index) && Number.isInteger(size) && index >= 0 && index < size && size <= leaves.length)) {
    throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
  }
  const d = leaves.slice(0, size);
  const path = (m: number, part: readonly Uint8Array[]): Uint8Array[] => {
    if (part.length <= 1) return [];
    const k = largestPow2Below(part.length);
    return m < k ? [...path(m, part.slice(0, k)), root(part.slice(k))] : [...path(m - k, part.slice(k)), root(part.slice(0, k))];
  };
  return path(index, d);
}

/** PROOF(old, D[0:new]) of RFC 9162 §2.1.4.1 (spec §8.4); empty when old is 0 or new. */
export function consistencyProof(leaves: readonly Uint8Array[], oldSize: number, newSize: number): Uint8Array[] {
  if (!(Number.isInteger(oldSize) && Number.isInteger(newSize) && oldSize >= 0 && oldSize <= newSize && newSize <= leaves.length)) {
    throw new RangeError(`no consistency proof from size ${oldSize} to ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const sub = (m: number, part: readonly Uint8Array[], complete: boolean): Uint8Array[] => {
    if (m === part.length) return complete ? [] : [root(part)];
    const k = largestPow2Below(part.length);
    return m <= k ? [...sub(m, part.slice(0, k), complete), root(part.slice(k))] : [...sub(m - k, part.slice(k), false), root(part.slice(0, k))];
  };
  return sub(oldSize, leaves.slice(0, newSize), true);
}

function fail(check: string, reason: string, code: string): never {
  throw new InvalidProof(check, reason, code);
}

function hash32(check: string, name: string, v: unknown, code: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== HASH_BYTES) fail(check, `${name} is not a ${HASH_BYTES}-byte hash`, code);
  return v;
}

function size(check: string, name: string, v: unknown, code: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(check, `${name} is not a non-negative integer`, code);
  return v;
}

/** RFC 9162 §2.1.3.2: return if `path` proves leaf `index` of the size-`size` tree with root
 * `rootHash`; InvalidProof (`inclusion_failed`) otherwise. (size, root) must come together
 * from one signed checkpoint: a path does not bind the size (spec §8.3). */
export function checkInclusion(leaf: Uint8Array, index: number, treeSize: number, path: readonly Uint8Array[], rootHash: Uint8Array, check = DEFAULT_CHECK): void {
  const code = 'inclusion_failed';
  hash32(check, 'leaf hash', leaf, code);
  hash32(check, 'root', rootHash, code);
  size(check, 'index', index, code);
  size(check, 'tree size', treeSize, code);
  if (!Array.isArray(path)) fail(check, 'path is not a list', code);
  if (index >= treeSize) fail(check, `leaf index ${index} is not below tree size ${treeSize}`, code);
  // Sizes up to 2^53: use bigint for the shifts (JS bit operators are 32-bit).
  let fn = BigInt(index);
  let sn = BigInt(treeSize) - 1n;
  let r = leaf;
  path.forEach((p, i) => {
    hash32(check, `path[${i}]`, p, code);
    if (sn === 0n) fail(check, 'inclusion path is longer than the tree is deep', code);
    if (fn & 1n || fn === sn) {
      r = nodeHash(p, r);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  });
  if (sn !== 0n) fail(check, 'inclusion path is shorter than the tree is deep', code);
  if (!equalBytes(r, rootHash)) fail(check, `inclusion path for leaf ${index} does not lead to the root`, code);
}

/** RFC 9162 §2.1.4.2 (spec §8.4): return if `proof` shows the old tree is a prefix of the new
 * one; InvalidProof (`consistency_failed`) otherwise. */
export function checkConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[], check = DEFAULT_CHECK): void {
  const code = 'consistency_failed';
  size(check, 'old size', oldSize, code);
  size(check, 'new size', newSize, code);
  hash32(check, 'old root', oldRoot, code);
  hash32(check, 'new root', newRoot, code);
  if (!Array.isArray(proof)) fail(check, 'proof is not a list', code);
  proof.forEach((p, i) => hash32(check, `proof[${i}]`, p, code));
  if (oldSize > newSize) fail(check, `old size ${oldSize} is larger than new size ${newSize}`, code);
  if (oldSize === newSize) {
    if (proof.length) fail(check, 'consistency proof between equal sizes must be empty', code);
    if (!equalBytes(oldRoot, newRoot)) fail(check, `two different roots for the same size ${oldSize}`, code);
    return;
  }
  if (oldSize === 0) {
    if (proof.length) fail(check, 'consistency proof from the empty tree must be empty', code);
    return;
  }
  if (!proof.length) fail(check, 'consistency proof is empty', code);
  const path = [...proof];
  const m = BigInt(oldSize);
  if ((m & (m - 1n)) === 0n) path.unshift(oldRoot);
  let fn = m - 1n;
  let sn = BigInt(newSize) - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0n) fail(check, 'consistency proof is too long', code);
    if (fn & 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail(check, 'consistency proof is too short', code);
  if (!equalBytes(fr, oldRoot)) fail(check, `consistency proof does not lead to the old root (size ${oldSize})`, code);
  if (!equalBytes(sr, newRoot)) fail(check, `consistency proof does not lead to the new root (size ${newSize})`, code);
}

/** Contract form: true iff the RFC 9162 inclusion proof holds (spec §8.3). */
export function verifyInclusion(leaf: Uint8Array, index: number, treeSize: number, path: readonly Uint8Array[], rootHash: Uint8Array): boolean {
  try {
    checkInclusion(leaf, index, treeSize, path, rootHash);
    return true;
  } catch (e) {
    if (e instanceof InvalidProof) return false;
    throw e;
  }
}

/** True iff the RFC 9162 consistency proof holds (spec §8.4). */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  try {
    checkConsistency(oldSize, newSize, oldRoot, newRoot, proof);
    return true;
  } catch (e) {
    if (e instanceof InvalidProof) return false;
    throw e;
  }
}
