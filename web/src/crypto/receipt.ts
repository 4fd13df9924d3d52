/**
 * The voter device's receipt check (spec §5.7, docs/vectors.md receipts.json): the board's
 * answer to GET /api/ballots/{tracking_code} (or a stored receipt) is checked in this order,
 * and the first failure is a ReceiptError with that code:
 *
 *   bad_checkpoint, tracking_mismatch, leaf_mismatch, wrong_election, wrong_board_key,
 *   bad_signature, inclusion_failed, bad_cosignature   (bad_receipt: a receipt field of the
 *   wrong form)
 *
 * A pending receipt (no checkpoint yet) is checked as far as it goes and reported pending.
 * In an election with witnesses (manifest "witnesses", spec §5.2, §8.8) the checkpoint counts
 * only with the threshold of valid cosignatures in the receipt's "cosignatures" list: the result
 * says how many there are (`cosigners`, `witnessed`), and `requireWitnessed` refuses one with
 * too few (`not_witnessed`). Invalid cosignatures are not counted; malformed ones are refused.
 */
import { fromHex, equalBytes, toHex } from './bytes.ts';
import { canonical, isObject, parseCanonical } from './canonical.ts';
import { trackingCode } from './ballot.ts';
import { checkCheckpointSignature, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { NO_WITNESSES, parseCosignature, validCosigners, type Cosignature, type WitnessPolicy } from './cosignature.ts';
import { HamaporsiError, ReceiptError } from './errors.ts';
import { checkInclusion, leafHash } from './merkle.ts';

const HEX_RE = /^[0-9a-f]*$/;

export interface ReceiptResult {
  /** "included": a signed checkpoint covers the entry and the inclusion proof holds. */
  readonly status: 'pending' | 'included';
  readonly trackingCode: string;
  readonly index: number;
  readonly leafHash: string;
  /** Whether the board says a later ballot of the same credential replaced this one. */
  readonly superseded: boolean;
  readonly checkpoint: Checkpoint | null;
  /** Valid cosignatures of the checkpoint by listed witnesses, one per witness (spec §8.8). */
  readonly cosigners: readonly Cosignature[];
  /** The election's threshold of cosignatures (0: no witnesses). */
  readonly required: number;
  /** Included, and the checkpoint has at least `required` valid cosignatures. */
  readonly witnessed: boolean;
}

function bad(code: string, message: string): never {
  throw new ReceiptError(message, code);
}

function hex32(v: unknown, field: string): Uint8Array {
  if (typeof v !== 'string' || v.length !== 64 || !HEX_RE.test(v)) bad('bad_receipt', `${field}: expected 64 lowercase hex characters`);
  return fromHex(v);
}

function asHex(v: Uint8Array | string): string {
  return typeof v === 'string' ? v : toHex(v);
}

/** The ballot bytes whose tracking code a submitted entry has: the entry itself for a ballot,
 * JCS(inner ballot) for an audit (spec §5.6). */
export function ballotBytesOf(entryBytes: Uint8Array): Uint8Array {
  const obj = parseCanonical(entryBytes);
  if (isObject(obj) && obj['type'] === 'audit') return canonical(obj['ballot']);
  return entryBytes;
}

/** Check a receipt (contract: booth crypto API). `entryBytes`: the exact bytes this device
 * submitted; without them the tracking code and leaf hash are taken on trust (steps 2–3
 * skipped). Throws ReceiptError with the first failing step's code. */
export function checkReceipt(status: unknown, boardKey: Uint8Array | string, electionId: Uint8Array | string, entryBytes?: Uint8Array, witnesses: WitnessPolicy = NO_WITNESSES): ReceiptResult {
  if (!isObject(status)) bad('bad_receipt', 'receipt must be a JSON object');
  // 1. the checkpoint's wire form
  let cp: Checkpoint | null = null;
  if (status['checkpoint'] !== null && status['checkpoint'] !== undefined) {
    try {
      cp = parseCheckpoint(status['checkpoint']);
    } catch (e) {
      if (e instanceof HamaporsiError) bad('bad_checkpoint', e.message);
      throw e;
    }
  }
  const tc = hex32(status['tracking_code'], 'tracking_code');
  // 2–3. the receipt names what this device submitted
  if (entryBytes !== undefined) {
    if (!equalBytes(tc, trackingCode(ballotBytesOf(entryBytes)))) bad('tracking_mismatch', 'the receipt names another ballot');
  }
  const leaf = hex32(status['leaf_hash'], 'leaf_hash');
  if (entryBytes !== undefined && !equalBytes(leaf, leafHash(entryBytes))) {
    bad('leaf_mismatch', 'the receipt leaf hash is not the hash of the submitted entry');
  }
  const index = status['index'];
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) bad('bad_receipt', 'index: expected a non-negative integer');
  const superseded = status['superseded'] === true;
  if (cp === null) {
    if (status['status'] === 'included') bad('bad_checkpoint', 'an included receipt must carry a checkpoint');
    return { status: 'pending', trackingCode: toHex(tc), index, leafHash: toHex(leaf), superseded, checkpoint: null, cosigners: [], required: witnesses.threshold, witnessed: false };
  }
  // 4–6. the checkpoint is this election's, by this board, signed
  if (cp.election !== asHex(electionId)) bad('wrong_election', 'the checkpoint is for another election');
  try {
    checkCheckpointSignature(cp, boardKey);
  } catch (e) {
    if (e instanceof HamaporsiError && e.code === 'wrong_board_key') bad('wrong_board_key', e.message);
    if (e instanceof HamaporsiError) bad('bad_signature', e.message);
    throw e;
  }
  // 7. the entry is in the tree the checkpoint signs (size and root from the same checkpoint)
  const path = status['path'];
  if (!Array.isArray(path)) bad('bad_receipt', 'path: expected a list');
  const hashes = path.map((p, i) => hex32(p, `path[${i}]`));
  try {
    checkInclusion(leaf, index, cp.size, hashes, cp.root, 'V15');
  } catch (e) {
    if (e instanceof HamaporsiError) bad('inclusion_failed', e.message);
    throw e;
  }
  // 8. the witnesses' cosignatures of this checkpoint (§5.7, §8.8)
  const raw = status['cosignatures'] ?? [];
  if (!Array.isArray(raw)) bad('bad_cosignature', 'cosignatures: expected a list');
  const css = raw.map((c, i) => {
    try {
      return parseCosignature(c);
    } catch (e) {
      if (e instanceof HamaporsiError) bad('bad_cosignature', `cosignatures[${i}]: ${e.message}`);
      throw e;
    }
  });
  const cosigners = validCosigners(witnesses, cp, css);
  return {
    status: 'included', trackingCode: toHex(tc), index, leafHash: toHex(leaf), superseded, checkpoint: cp,
    cosigners, required: witnesses.threshold, witnessed: cosigners.length >= witnesses.threshold,
  };
}

/** Refuse (ReceiptError `not_witnessed`) a receipt whose checkpoint lacks the election's
 * threshold of valid witness cosignatures, or that is still pending. */
export function requireWitnessed(r: ReceiptResult): void {
  if (!r.witnessed) {
    throw new ReceiptError(`the checkpoint has ${r.cosigners.length} valid witness cosignatures; the election requires ${r.required}`, 'not_witnessed');
  }
}
