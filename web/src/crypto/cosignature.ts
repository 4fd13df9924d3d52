/**
 * Witness cosignatures of checkpoints (spec §8.8), as protocol/cosignature.py:
 *
 *     body    = RFC 8785 JSON {"checkpoint": hex(checkpoint message), "election", "size",
 *                              "time", "type": "cosignature", "witness": hex(x-only key)}
 *     message = H("cosignature", body)
 *     sig     = BIP340 Sign(witness_secret, message)
 *
 * A checkpoint is *witnessed* once `threshold` distinct witnesses named in the manifest
 * ("witnesses", spec §5.2) have valid cosignatures of it. The message is always recomputed
 * from the parsed fields.
 */
import * as bip340 from './bip340.ts';
import { compareBytes, equalBytes, fromHex, toHex } from './bytes.ts';
import { canonical, isObject, type JsonObject } from './canonical.ts';
import { checkpointMessage, type Checkpoint } from './checkpoint.ts';
import { InvalidProof, MalformedInput } from './errors.ts';
import { hexBytes } from './codec.ts';
import { hashParts } from './hashing.ts';
import { parseText, type Text } from './text.ts';

/** Check id of witness failures in the verifier (spec §9.2). */
export const CHECK = 'V-witness';
export const MAX_WITNESSES = 64;
const MAX_INT = Number.MAX_SAFE_INTEGER;
const JSON_KEYS = ['checkpoint', 'election', 'sig', 'size', 'time', 'type', 'witness'];
const HEX_RE = /^[0-9a-f]*$/;

/** A parsed cosignature (wire form §8.8). */
export interface Cosignature {
  /** The 32-byte message of the cosigned checkpoint (§8.5.3). */
  readonly checkpoint: Uint8Array;
  /** hex(manifest hash), 64 lowercase hex digits. */
  readonly election: string;
  readonly size: number;
  readonly time: number;
  /** The witness's x-only BIP340 key. */
  readonly witness: Uint8Array;
  readonly sig: Uint8Array;
}

/** Who may cosign and how many must (manifest field "witnesses"); no field: none required.
 * `names`, when the manifest gives them, names each witness (same order as `keys`). */
export interface WitnessPolicy {
  readonly keys: readonly Uint8Array[];
  readonly threshold: number;
  readonly names?: readonly Text[];
}

export const NO_WITNESSES: WitnessPolicy = { keys: [], threshold: 0 };
/** At most this many characters in each language of a witness's name. */
export const MAX_NAME = 200;

/** The manifest's name for witness `key`, or null (no names, or not a listed key). */
export function witnessName(policy: WitnessPolicy, key: Uint8Array): Text | null {
  if (!policy.names?.length) return null;
  const i = policy.keys.findIndex((k) => equalBytes(k, key));
  return i < 0 ? null : policy.names[i] ?? null;
}

/** How to show witness `key` to a person: its name in `lang`, else a key fingerprint. */
export function witnessLabel(policy: WitnessPolicy, key: Uint8Array, lang: 'fa' | 'en'): string {
  const name = witnessName(policy, key);
  return name ? name[lang] : `${toHex(key).slice(0, 16)}…`;
}

/** `witnessLabel` of each listed key among `witnesses`, in the manifest's order. */
export function witnessLabels(policy: WitnessPolicy, witnesses: readonly Uint8Array[], lang: 'fa' | 'en'): string[] {
  const got = new Set(witnesses.map(toHex));
  return policy.keys.filter((k) => got.has(toHex(k))).map((k) => witnessLabel(policy, k, lang));
}

function malformed(reason: string): never {
  throw new MalformedInput(`cosignature: ${reason}`, 'bad_cosignature');
}

function hexOf(name: string, v: unknown, length: number): Uint8Array {
  if (typeof v !== 'string' || v.length !== 2 * length || !HEX_RE.test(v)) malformed(`${name} must be ${2 * length} lowercase hex digits`);
  return fromHex(v);
}

function intOf(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INT) malformed(`${name} must be an integer in [0, 2^53-1]`);
  return v;
}

/** Parse the wire form strictly: exactly seven keys, lowercase hex of exact length, integers
 * in [0, 2^53 − 1], type "cosignature"; MalformedInput `bad_cosignature` otherwise. */
export function parseCosignature(v: unknown): Cosignature {
  if (!isObject(v)) malformed('must be a JSON object');
  const keys = Object.keys(v).sort();
  if (keys.length !== JSON_KEYS.length || keys.some((k, i) => k !== JSON_KEYS[i])) {
    malformed(`keys must be exactly ${JSON_KEYS.join(', ')}`);
  }
  if (v['type'] !== 'cosignature') malformed('type must be "cosignature"');
  return {
    checkpoint: hexOf('checkpoint', v['checkpoint'], 32),
    election: toHex(hexOf('election', v['election'], 32)),
    size: intOf('size', v['size']),
    time: intOf('time', v['time']),
    witness: hexOf('witness', v['witness'], 32),
    sig: hexOf('sig', v['sig'], 64),
  };
}

/** The signed fields as a JSON object (§8.8). */
export function cosignatureBody(cs: Cosignature): JsonObject {
  return { checkpoint: toHex(cs.checkpoint), election: cs.election, size: cs.size, time: cs.time, type: 'cosignature', witness: toHex(cs.witness) };
}

/** The RFC 8785 body bytes whose hash the witness signs. */
export function cosignatureBodyBytes(cs: Cosignature): Uint8Array {
  return canonical(cosignatureBody(cs));
}

/** The 32-byte BIP340 message: H("cosignature", body). */
export function cosignatureMessage(cs: Cosignature): Uint8Array {
  return hashParts('cosignature', cosignatureBodyBytes(cs));
}

/** The wire form: body plus "sig". */
export function cosignatureToJson(cs: Cosignature): JsonObject {
  return { ...cosignatureBody(cs), sig: toHex(cs.sig) };
}

/** Return if `cs` is a valid cosignature of exactly `cp`; InvalidProof (`wrong_checkpoint`
 * or `bad_signature`) otherwise. */
export function verifyCosignature(cs: Cosignature, cp: Checkpoint, check = CHECK): void {
  const who = `${toHex(cs.witness).slice(0, 16)}…`;
  if (!equalBytes(cs.checkpoint, checkpointMessage(cp)) || cs.election !== cp.election || cs.size !== cp.size) {
    throw new InvalidProof(check, `cosignature by ${who} is of another checkpoint`, 'wrong_checkpoint');
  }
  if (!bip340.verify(cs.witness, cosignatureMessage(cs), cs.sig)) {
    throw new InvalidProof(check, `cosignature by ${who}: signature does not verify`, 'bad_signature');
  }
}

function field(reason: string, code = 'bad_field'): never {
  throw new MalformedInput(reason, code);
}

/** Parse the manifest's "witnesses" object exactly as protocol/cosignature.py
 * WitnessPolicy.from_json: 1..64 lowercase-hex valid BIP340 keys, a threshold in
 * [1, keys], keys distinct, then optional "names" (one {"fa", "en"} per key, each 1..200
 * characters); the same codes (bad_field, bad_encoding for a key's hex, bad_point) in the
 * same order. */
export function parseWitnessPolicy(v: unknown): WitnessPolicy {
  const allowed = ['keys', 'threshold', 'names'];
  if (!isObject(v) || !Object.hasOwn(v, 'keys') || !Object.hasOwn(v, 'threshold') || Object.keys(v).some((k) => !allowed.includes(k))) {
    field('manifest.witnesses: expected {"keys", "threshold"} and optionally "names"');
  }
  const raw = v['keys'];
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_WITNESSES) {
    field(`manifest.witnesses.keys: 1 to ${MAX_WITNESSES} keys`);
  }
  const keys = raw.map((k, i) => hexBytes(k, 32, `manifest.witnesses.keys[${i}]`));
  for (const k of keys) {
    if (!bip340.isValidPublicKey(k)) field('manifest.witnesses.keys: public key is not the x coordinate of a curve point', 'bad_point');
  }
  const t = v['threshold'];
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > keys.length) {
    field('manifest.witnesses.threshold: an integer in [1, keys]');
  }
  if (new Set(keys.map(toHex)).size !== keys.length) field('manifest.witnesses.keys must be distinct');
  if (!Object.hasOwn(v, 'names')) return { keys, threshold: t };
  const rawNames = v['names'];
  if (!Array.isArray(rawNames) || rawNames.length !== keys.length) {
    field(`manifest.witnesses.names: a list of ${keys.length} names, one per key in the order of keys`);
  }
  const names = rawNames.map((n, i) => parseText(n, `manifest.witnesses.names[${i}]`, MAX_NAME));
  return { keys, threshold: t, names };
}

/** The cosignatures of `cp` by distinct listed witnesses that verify, one per witness, sorted
 * by witness key; unlisted, invalid and repeated ones are left out, never an error. */
export function validCosigners(policy: WitnessPolicy, cp: Checkpoint, cosignatures: readonly Cosignature[]): Cosignature[] {
  const listed = new Set(policy.keys.map(toHex));
  const out = new Map<string, Cosignature>();
  for (const cs of cosignatures) {
    const w = toHex(cs.witness);
    if (!listed.has(w) || out.has(w)) continue;
    try {
      verifyCosignature(cs, cp);
    } catch (e) {
      if (e instanceof InvalidProof) continue;
      throw e;
    }
    out.set(w, cs);
  }
  return [...out.values()].sort((a, b) => compareBytes(a.witness, b.witness));
}

/** The valid cosigners of `cp`; InvalidProof `not_witnessed` if fewer than the threshold. */
export function requireWitnesses(policy: WitnessPolicy, cp: Checkpoint, cosignatures: readonly Cosignature[], check = CHECK): Cosignature[] {
  const got = validCosigners(policy, cp, cosignatures);
  if (got.length < policy.threshold) {
    throw new InvalidProof(check, `checkpoint at size ${cp.size} has ${got.length} valid witness cosignatures; the election requires ${policy.threshold}`, 'not_witnessed');
  }
  return got;
}
