/** The referendum definition (spec §5.2), checked as protocol/manifest.py (check V1). */
import { canonical, type JsonObject } from './canonical.ts';
import * as codec from './codec.ts';
import { NO_WITNESSES, parseWitnessPolicy, type WitnessPolicy } from './cosignature.ts';
import { MalformedInput } from './errors.ts';
import type { Point } from './group.ts';
import { hashParts } from './hashing.ts';
import { verifyEntry } from './signing.ts';
import { parseText, type Text } from './text.ts';

export const SPEC_VERSION = 'hamaporsi/v1';
export const MAX_OPTIONS = 32;
export const MAX_TRUSTEES = 64;
const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

export type { Text } from './text.ts';

export interface TrusteeInfo {
  readonly name: string;
  readonly signingKey: Uint8Array;
  readonly encryptionKey: Point;
}

/** The signed referendum definition; `entry` is the exact record entry it was read from. */
export interface Manifest {
  readonly electionId: string;
  readonly question: Text;
  readonly options: readonly Text[];
  readonly minSelections: number;
  readonly maxSelections: number;
  readonly opens: number;
  readonly closes: number;
  readonly organizerKey: Uint8Array;
  readonly registrarKey: Uint8Array;
  readonly boardKey: Uint8Array;
  readonly trustees: readonly TrusteeInfo[];
  readonly threshold: number;
  /** SHA-256 of the booth bundle the organizer published (spec §5.2), if the manifest states it. */
  readonly booth: Uint8Array | null;
  /** Who cosigns checkpoints and how many must (spec §5.2, §8.8); no field: none required. */
  readonly witnesses: WitnessPolicy;
  readonly entry: JsonObject;
  /** H("manifest", JCS(entry)), signature included: the election id of checkpoints. */
  readonly hash: Uint8Array;
  /** Exactly one selection: the last option's ciphertext is implied (spec §5.5). */
  readonly impliedLast: boolean;
  /** How many ciphertexts a ballot carries. */
  readonly storedOptions: number;
  /** Allowed totals of the stored selections, or null when no total proof is needed. */
  readonly totalAllowed: readonly number[] | null;
}

const MANIFEST_KEYS = ['type', 'spec', 'election_id', 'question', 'options', 'min_selections',
  'max_selections', 'opens', 'closes', 'organizer_key', 'registrar_key', 'board_key', 'trustees',
  'threshold', 'sig'];
/** Keys a manifest may carry (protocol/manifest.py OPTIONAL_KEYS). */
const OPTIONAL_KEYS = ['booth', 'witnesses'];

const text = (v: unknown, field: string): Text => parseText(v, field);

function trustee(v: unknown, field: string): TrusteeInfo {
  const o = codec.obj(v, field, ['name', 'signing_key', 'encryption_key']);
  return {
    name: codec.text(o['name'], `${field}.name`, 200),
    signingKey: codec.hexBytes(o['signing_key'], 32, `${field}.signing_key`),
    encryptionKey: codec.point(o['encryption_key'], `${field}.encryption_key`),
  };
}

/** §5.5: stored ciphertexts and the allowed totals, from the selection bounds. */
export function ballotShape(options: number, lo: number, hi: number): { impliedLast: boolean; storedOptions: number; totalAllowed: number[] | null } {
  const impliedLast = lo === 1 && hi === 1;
  const storedOptions = impliedLast ? options - 1 : options;
  let totalAllowed: number[] | null;
  if (impliedLast) totalAllowed = storedOptions === 1 ? null : [0, 1];
  else if (lo === 0 && hi >= storedOptions) totalAllowed = null;
  else totalAllowed = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  return { impliedLast, storedOptions, totalAllowed };
}

/** Check every field and the organizer's signature (check V1). */
export function parseManifest(entry: unknown): Manifest {
  const o = codec.obj(entry, 'manifest', MANIFEST_KEYS, OPTIONAL_KEYS);
  if (o['type'] !== 'manifest' || o['spec'] !== SPEC_VERSION) {
    throw new MalformedInput(`manifest: type/spec must be manifest/${SPEC_VERSION}`, 'bad_field');
  }
  const eid = o['election_id'];
  if (typeof eid !== 'string' || !SLUG.test(eid)) {
    throw new MalformedInput("manifest.election_id: lowercase letters, digits and '-'", 'bad_field');
  }
  const options = codec.array(o['options'], 'manifest.options', 2, MAX_OPTIONS).map((x, i) => text(x, `manifest.options[${i}]`));
  const lo = codec.integer(o['min_selections'], 'manifest.min_selections', 0, options.length);
  const hi = codec.integer(o['max_selections'], 'manifest.max_selections', Math.max(lo, 1), options.length);
  const opens = codec.integer(o['opens'], 'manifest.opens');
  const closes = codec.integer(o['closes'], 'manifest.closes', opens + 1);
  const trustees = codec.array(o['trustees'], 'manifest.trustees', 1, MAX_TRUSTEES).map((x, i) => trustee(x, `manifest.trustees[${i}]`));
  const sk = new Set(trustees.map((t) => codec.pointHex(t.encryptionKey)));
  const gk = new Set(trustees.map((t) => t.signingKey.join(',')));
  if (sk.size !== trustees.length || gk.size !== trustees.length) {
    throw new MalformedInput('manifest.trustees: keys must be distinct', 'bad_field');
  }
  const question = text(o['question'], 'manifest.question');
  const organizerKey = codec.hexBytes(o['organizer_key'], 32, 'manifest.organizer_key');
  const registrarKey = codec.hexBytes(o['registrar_key'], 32, 'manifest.registrar_key');
  const boardKey = codec.hexBytes(o['board_key'], 32, 'manifest.board_key');
  const threshold = codec.integer(o['threshold'], 'manifest.threshold', 1, trustees.length);
  const booth = Object.hasOwn(o, 'booth') ? codec.hexBytes(o['booth'], 32, 'manifest.booth') : null;
  const witnesses = Object.hasOwn(o, 'witnesses') ? parseWitnessPolicy(o['witnesses']) : NO_WITNESSES;
  verifyEntry(o, organizerKey, 'V1', 'manifest');
  return {
    electionId: eid, question, options, minSelections: lo, maxSelections: hi, opens, closes,
    organizerKey, registrarKey, boardKey, trustees, threshold, booth, witnesses, entry: o,
    hash: hashParts('manifest', canonical(o)),
    ...ballotShape(options.length, lo, hi),
  };
}
