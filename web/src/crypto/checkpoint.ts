/**
 * Signed checkpoints (spec §8.5), as protocol/checkpoint.py:
 *
 *     body    = RFC 8785 JSON {"board_key","election","root","size","time","type":"checkpoint"}
 *     message = H("checkpoint", body)
 *     sig     = BIP340 Sign(board_secret, message)
 *
 * The message is always recomputed from the parsed fields, never from received bytes.
 */
import * as bip340 from './bip340.ts';
import { fromHex, toHex } from './bytes.ts';
import { canonical, isObject, type JsonObject } from './canonical.ts';
import { InvalidProof, MalformedInput, Rejected } from './errors.ts';
import { hashParts } from './hashing.ts';

const MAX_INT = Number.MAX_SAFE_INTEGER;
const JSON_KEYS = ['board_key', 'election', 'root', 'sig', 'size', 'time', 'type'];
const HEX_RE = /^[0-9a-f]*$/;
/** Check id of checkpoint failures in the verifier (spec §9). */
export const CHECK = 'V15';

/** A parsed checkpoint (wire form §8.5.1). */
export interface Checkpoint {
  /** hex(manifest hash), 64 lowercase hex digits. */
  readonly election: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly time: number;
  readonly boardKey: Uint8Array;
  readonly sig: Uint8Array;
}

function malformed(reason: string): never {
  throw new MalformedInput(`checkpoint: ${reason}`, 'bad_checkpoint');
}

function hexField(o: JsonObject, name: string, length: number): string {
  const v = o[name];
  if (typeof v !== 'string' || v.length !== 2 * length || !HEX_RE.test(v)) malformed(`${name} must be ${2 * length} lowercase hex digits`);
  return v;
}

function intField(o: JsonObject, name: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INT) malformed(`${name} must be an integer in [0, 2^53-1]`);
  return v;
}

/** Parse the wire form strictly (§8.5.5): exactly seven keys, exact lowercase hex, integers in
 * [0, 2^53 − 1], type "checkpoint"; MalformedInput `bad_checkpoint` otherwise. */
export function parseCheckpoint(v: unknown): Checkpoint {
  if (!isObject(v)) malformed('must be a JSON object');
  const keys = Object.keys(v).sort();
  if (keys.length !== JSON_KEYS.length || keys.some((k, i) => k !== JSON_KEYS[i])) {
    malformed(`keys must be exactly ${JSON_KEYS.join(', ')}`);
  }
  const sig = hexField(v, 'sig', 64);
  if (v['type'] !== 'checkpoint') malformed('type must be "checkpoint"');
  return {
    election: hexField(v, 'election', 32),
    size: intField(v, 'size'),
    root: fromHex(hexField(v, 'root', 32)),
    time: intField(v, 'time'),
    boardKey: fromHex(hexField(v, 'board_key', 32)),
    sig: fromHex(sig),
  };
}

/** The signed fields as a JSON object (§8.5.2). */
export function checkpointBody(cp: Checkpoint): JsonObject {
  return { board_key: toHex(cp.boardKey), election: cp.election, root: toHex(cp.root), size: cp.size, time: cp.time, type: 'checkpoint' };
}

/** The RFC 8785 body bytes whose hash is signed. */
export function checkpointBodyBytes(cp: Checkpoint): Uint8Array {
  return canonical(checkpointBody(cp));
}

/** The 32-byte BIP340 message: H("checkpoint", body) (§8.5.3). */
export function checkpointMessage(cp: Checkpoint): Uint8Array {
  return hashParts('checkpoint', checkpointBodyBytes(cp));
}

/** The wire form: body plus "sig". */
export function checkpointToJson(cp: Checkpoint): JsonObject {
  return { ...checkpointBody(cp), sig: toHex(cp.sig) };
}

function asHex(v: Uint8Array | string, length: number, what: string): string {
  if (typeof v === 'string') {
    if (v.length !== 2 * length || !HEX_RE.test(v)) throw new RangeError(`${what} must be ${2 * length} lowercase hex digits`);
    return v;
  }
  if (v.length !== length) throw new RangeError(`${what} must be ${length} bytes`);
  return toHex(v);
}

/** Verify a parsed checkpoint against the manifest's board key (§8.5.5): the key it names must
 * be `boardKey` (Rejected `wrong_board_key`) and the BIP340 signature over the recomputed
 * message must hold (InvalidProof `bad_signature`). */
export function checkCheckpointSignature(cp: Checkpoint, boardKey: Uint8Array | string): void {
  const key = asHex(boardKey, 32, 'board key');
  if (toHex(cp.boardKey) !== key) throw new Rejected('checkpoint names a board key other than the expected one', 'wrong_board_key', CHECK);
  if (!bip340.verify(cp.boardKey, checkpointMessage(cp), cp.sig)) {
    throw new InvalidProof(CHECK, 'checkpoint signature does not verify', 'bad_signature');
  }
}

/** Contract: parse `cpJson` (bad_checkpoint), require election = `electionId`
 * (wrong_election), board key = `boardKey` (wrong_board_key) and a valid BIP340 signature
 * (bad_signature). Returns the parsed checkpoint; throws otherwise. */
export function verifyCheckpoint(cpJson: unknown, boardKey: Uint8Array | string, electionId: Uint8Array | string): Checkpoint {
  const cp = parseCheckpoint(cpJson);
  if (cp.election !== asHex(electionId, 32, 'election id')) {
    throw new Rejected('checkpoint is for another election', 'wrong_election', CHECK);
  }
  checkCheckpointSignature(cp, boardKey);
  return cp;
}
