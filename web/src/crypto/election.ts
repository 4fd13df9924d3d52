/** The election context once voting opens (spec §5.4), as protocol/election.py: manifest,
 * joint key and credential list, bound in the election hash that every ballot proof and
 * signature covers. The booth recomputes it from what the board serves and refuses a mismatch. */
import { concat, equalBytes, toHex, u32, u64 } from './bytes.ts';
import { isObject, type Json } from './canonical.ts';
import * as codec from './codec.ts';
import { Rejected } from './errors.ts';
import { GROUP_DESCRIPTION, encodePoint, type Point } from './group.ts';
import { hashParts } from './hashing.ts';
import { parseManifest, type Manifest } from './manifest.ts';

/** The option index used in the context of a ballot's selection-total proof (§6.4). */
export const TOTAL_INDEX = 0xffffffff;

/** eh = H("election", GROUP, mh, encode(K), N as 8 bytes, CH) (spec §5.4). */
export function electionHash(manifestHash: Uint8Array, jointKey: Point, credentialCount: number, credentialHash: Uint8Array): Uint8Array {
  return hashParts('election', GROUP_DESCRIPTION, manifestHash, encodePoint(jointKey), u64(credentialCount), credentialHash);
}

/** Everything a ballot is made and checked against (Python's ElectionContext). */
export interface BoothContext {
  readonly manifest: Manifest;
  readonly manifestHash: Uint8Array;
  readonly jointKey: Point;
  readonly credentialCount: number;
  readonly credentialHash: Uint8Array;
  /** The election hash eh. */
  readonly hash: Uint8Array;
  /** hex(manifest hash): the id that checkpoints name. */
  readonly electionId: string;
  /** The manifest's board key (x-only), which signs checkpoints. */
  readonly boardKey: Uint8Array;
}

/** Build the context from a parsed manifest and the open entry's values. */
export function createContext(manifest: Manifest, jointKey: Point, credentialCount: number, credentialHash: Uint8Array): BoothContext {
  const mh = manifest.hash;
  // Every ballot multiplies K a dozen times: noble's window table for K (built on first use).
  jointKey.precompute(8);
  return {
    manifest, manifestHash: mh, jointKey, credentialCount, credentialHash,
    hash: electionHash(mh, jointKey, credentialCount, credentialHash),
    electionId: toHex(mh), boardKey: manifest.boardKey,
  };
}

/** eh ‖ credential ‖ u32(option index or TOTAL_INDEX): fixed width (§6.4). */
export function proofContext(ctx: BoothContext, credential: Uint8Array, index: number): Uint8Array {
  return concat(ctx.hash, credential, u32(index));
}

/** The JSON of GET /api/election (docs/contract: server ↔ booth). */
export interface ElectionInfo {
  readonly election_id: string;
  readonly phase: 'setup' | 'voting' | 'closed' | 'done';
  readonly manifest: Json;
  readonly board_key: string;
  readonly trustees: Json;
  readonly context: null | {
    readonly election: string;
    readonly joint_key: string;
    readonly credential_count: number;
    readonly credential_hash: string;
  };
  readonly booth: { readonly hash: string; readonly published: string | null };
}

/** What every page may rely on from GET /api/election, in any phase: the checked manifest,
 * the election id recomputed as its hash and the board key taken from it (spec §5.2, §8.5). */
export interface CheckedElection {
  readonly manifest: Manifest;
  /** hex(manifest hash): the id that checkpoints name. */
  readonly electionId: string;
  /** The manifest's board key (x-only): the only key checkpoints are checked against. */
  readonly boardKey: Uint8Array;
}

/** Bind the served election to its signed manifest: checks the manifest (fields and organizer
 * signature, V1), recomputes its hash and refuses a served election id that differs
 * (`election_mismatch`) or a served board key other than the manifest's (`board_key_mismatch`),
 * so that a rewritten /api/election cannot make pages check checkpoints against another key. */
export function checkElection(info: ElectionInfo): CheckedElection {
  if (!isObject(info)) throw new Rejected('election info must be a JSON object', 'bad_election_info', 'V4');
  const manifest = parseManifest(info.manifest);
  const electionId = toHex(manifest.hash);
  if (info.election_id !== electionId) {
    throw new Rejected('the served election id is not the hash of the served manifest', 'election_mismatch', 'V4');
  }
  if (info.board_key !== toHex(manifest.boardKey)) {
    throw new Rejected("the served board key is not the signed manifest's", 'board_key_mismatch', 'V4');
  }
  return { manifest, electionId, boardKey: manifest.boardKey };
}

/** The booth's context from GET /api/election: checkElection, then recomputes the election
 * hash and refuses one that differs from the served one (code `election_mismatch`) or a missing
 * context (`not_open`). Nothing served is trusted without being recomputed. */
export function contextFrom(info: ElectionInfo): BoothContext {
  const { manifest } = checkElection(info);
  const c = info.context;
  if (c === null || c === undefined) {
    throw new Rejected('voting has not been opened: no election context yet', 'not_open', 'V4');
  }
  const o = codec.obj(c, 'context', ['election', 'joint_key', 'credential_count', 'credential_hash']);
  const jointKey = codec.point(o['joint_key'], 'context.joint_key');
  const count = codec.integer(o['credential_count'], 'context.credential_count');
  const ch = codec.hexBytes(o['credential_hash'], 32, 'context.credential_hash');
  const served = codec.hexBytes(o['election'], 32, 'context.election');
  const ctx = createContext(manifest, jointKey, count, ch);
  if (!equalBytes(ctx.hash, served)) {
    throw new Rejected('the served election hash differs from the one recomputed from the manifest, joint key and credential list', 'election_mismatch', 'V4');
  }
  return ctx;
}
