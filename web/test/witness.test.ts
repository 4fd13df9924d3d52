/**
 * Witness cosignatures in the booth beyond the shared vectors (tests/vectors/cosignatures.json):
 * fresh cosignatures made here verify, anything changed after signing does not, the threshold
 * counts distinct listed witnesses only, and a receipt of an election without witnesses needs
 * none. Cases come from cosignatures.json and receipts.json.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  NO_WITNESSES, checkElection, checkReceipt, cosignatureMessage, cosignatureToJson,
  fromHex, parseCheckpoint, parseCosignature, parseManifest, requireWitnessed, requireWitnesses, toHex,
  parseWitnessPolicy, validCosigners, verifyCosignature, witnessLabel, witnessLabels, witnessName,
  type Cosignature, type ElectionInfo,
} from '../src/crypto/index.ts';
import * as bip340 from '../src/crypto/bip340.ts';
import { checkpointMessage } from '../src/crypto/checkpoint.ts';
import { codeOfThrow, thrown } from './thrown.ts';

const VEC = resolve(import.meta.dirname, '../../tests/vectors');
const load = (name: string): any => JSON.parse(readFileSync(resolve(VEC, name), 'utf8'));
const doc = load('cosignatures.json');
const named: Record<string, any> = Object.fromEntries(doc.cases.map((c: any) => [c.name, c]));
const manifest = named['manifest/witnesses-2-of-3'];
const cp9 = parseCheckpoint(named['checkpoint/9'].wire);
const secret = (w: number): Uint8Array => fromHex(named[`cosignature/witness-${w}-of-9`].witness_secret);
const policy = parseManifest(manifest.manifest).witnesses;

/** A cosignature of `cp` made here, with fresh aux randomness. */
function cosignHere(w: number, time = 1_800_000_000): Cosignature {
  const unsigned: Cosignature = {
    checkpoint: checkpointMessage(cp9), election: cp9.election, size: cp9.size, time,
    witness: bip340.publicKey(secret(w)), sig: new Uint8Array(64),
  };
  return { ...unsigned, sig: bip340.sign(secret(w), cosignatureMessage(unsigned)) };
}

describe('cosignatures made in the browser', () => {
  test('verify, and round-trip through the wire form', () => {
    const cs = cosignHere(1);
    verifyCosignature(cs, cp9);
    const back = parseCosignature(JSON.parse(JSON.stringify(cosignatureToJson(cs))));
    expect(toHex(cosignatureMessage(back))).toBe(toHex(cosignatureMessage(cs)));
    verifyCosignature(back, cp9);
  });

  test('any field changed after signing is refused', () => {
    const cs = cosignHere(0);
    expect(codeOfThrow(() => verifyCosignature({ ...cs, time: cs.time + 1 }, cp9))).toBe('bad_signature');
    expect(codeOfThrow(() => verifyCosignature({ ...cs, witness: bip340.publicKey(secret(1)) }, cp9))).toBe('bad_signature');
    expect(codeOfThrow(() => verifyCosignature({ ...cs, size: 8 }, cp9))).toBe('wrong_checkpoint');
    expect(codeOfThrow(() => verifyCosignature({ ...cs, election: '00'.repeat(32) }, cp9))).toBe('wrong_checkpoint');
    const cp6 = parseCheckpoint(named['checkpoint/6'].wire);
    expect(codeOfThrow(() => verifyCosignature(cs, cp6))).toBe('wrong_checkpoint');
  });

  test('the threshold counts distinct listed witnesses with valid signatures', () => {
    const w0 = cosignHere(0), w0b = cosignHere(0, 1_800_000_001), w3 = cosignHere(3), w2 = cosignHere(2);
    expect(validCosigners(policy, cp9, [w0, w0b, w3]).length).toBe(1);
    expect(codeOfThrow(() => requireWitnesses(policy, cp9, [w0, w0b, w3]))).toBe('not_witnessed');
    const got = requireWitnesses(policy, cp9, [w2, w0b, w3]);
    expect(got.map((c) => toHex(c.witness))).toEqual([w0b, w2].map((c) => toHex(c.witness)).sort());
    expect(validCosigners(NO_WITNESSES, cp9, [w0, w2])).toEqual([]);
    expect(() => requireWitnesses(NO_WITNESSES, cp9, [])).not.toThrow();
  });
});

describe('the election check and receipts', () => {
  test('checkElection reads the witnesses from the signed manifest', () => {
    const info = {
      election_id: manifest.manifest_hash, phase: 'voting', manifest: manifest.manifest,
      board_key: manifest.manifest.board_key, trustees: [], booth: { hash: '00'.repeat(32), published: null }, context: null,
    } as unknown as ElectionInfo;
    const el = checkElection(info);
    expect(el.manifest.witnesses.threshold).toBe(2);
    expect(el.manifest.witnesses.keys.map(toHex)).toEqual(manifest.witnesses.keys);
    // A served manifest whose witnesses were edited no longer matches its signature.
    const edited = { ...manifest.manifest, witnesses: { ...manifest.manifest.witnesses, threshold: 1 } };
    expect(codeOfThrow(() => checkElection({ ...info, manifest: edited } as unknown as ElectionInfo))).toBe('bad_signature');
  });

  test('a receipt is witnessed only with the threshold; the server\'s extra fields are ignored', () => {
    const c = named['receipt/witnessed-2-of-3'];
    const entry = fromHex(named['board/witnessed'].entries[c.entry_index]);
    const served = { ...c.receipt, status: 'included', kind: 'ballot', superseded: false };
    const r = checkReceipt(served, c.board_key, c.manifest_hash, entry, policy);
    expect(r.witnessed).toBe(true);
    requireWitnessed(r);
    const fewer = checkReceipt({ ...served, cosignatures: served.cosignatures.slice(1) }, c.board_key, c.manifest_hash, entry, policy);
    expect([fewer.witnessed, fewer.cosigners.length, fewer.required]).toEqual([false, 1, 2]);
    expect(codeOfThrow(() => requireWitnessed(fewer))).toBe('not_witnessed');
    const fresh = checkReceipt({ ...served, cosignatures: [cosignatureToJson(cosignHere(1)), served.cosignatures[0]] }, c.board_key, c.manifest_hash, entry, policy);
    expect(fresh.witnessed).toBe(true);
  });

  test('a pending receipt is never witnessed', () => {
    const c = named['receipt/witnessed-2-of-3'];
    const r = checkReceipt({ ...c.receipt, checkpoint: null, path: [], cosignatures: [] }, c.board_key, c.manifest_hash, undefined, policy);
    expect([r.status, r.witnessed]).toEqual(['pending', false]);
  });

  test('without witnesses a receipt needs no cosignature field', () => {
    const rc = load('receipts.json').cases.find((x: any) => x.name === 'receipt/ballot-5-of-9');
    const r = checkReceipt(rc.receipt, rc.board_key, rc.manifest_hash);
    expect([r.status, r.witnessed, r.required, r.cosigners.length]).toEqual(['included', true, 0, 0]);
    expect(codeOfThrow(() => checkReceipt({ ...rc.receipt, cosignatures: {} }, rc.board_key, rc.manifest_hash))).toBe('bad_cosignature');
  });
});

describe('named witnesses (manifest "witnesses"."names", spec §5.2)', () => {
  const m = named['manifest/witnesses-named'];
  const pol = parseManifest(m.manifest).witnesses;
  const raw = m.witnesses;

  test('each key gets its name; labels follow the manifest order, in the page language', () => {
    expect(pol.names?.map((n) => n.en)).toEqual(raw.names.map((n: any) => n.en));
    const [k0, k1, k2] = pol.keys as [Uint8Array, Uint8Array, Uint8Array];
    expect(witnessLabel(pol, k1, 'fa')).toBe(raw.names[1].fa);
    expect(witnessLabel(pol, k1, 'en')).toBe(raw.names[1].en);
    expect(witnessLabels(pol, [k2, new Uint8Array(32), k0], 'fa')).toEqual([raw.names[0].fa, raw.names[2].fa]);
    expect(witnessName(pol, new Uint8Array(32))).toBeNull();
  });

  test('without names: a short key fingerprint', () => {
    const k = policy.keys[0] as Uint8Array;
    expect(policy.names).toBeUndefined();
    expect(witnessName(policy, k)).toBeNull();
    expect(witnessLabel(policy, k, 'fa')).toBe(`${toHex(k).slice(0, 16)}…`);
  });

  test('refusals name the field, like Python', () => {
    const base = { keys: raw.keys, threshold: 2 };
    const msg = (v: unknown): string => thrown(() => parseWitnessPolicy(v)).message;
    expect(msg({ ...base, names: raw.names.slice(1) })).toMatch(/^manifest\.witnesses\.names: a list of 3 names/);
    expect(msg({ ...base, names: [raw.names[0], { en: 'x' }, raw.names[2]] })).toMatch(/^manifest\.witnesses\.names\[1\]/);
    expect(msg({ ...base, names: [raw.names[0], raw.names[1], { en: 'x', fa: '' }] })).toMatch(/^manifest\.witnesses\.names\[2\]\.fa/);
    expect(msg({ ...base, labels: [] })).toContain('optionally "names"');
    // 200 Persian letters are 200 characters (code points), as Python counts them
    const long = { en: 'W'.repeat(200), fa: 'گ'.repeat(200) };
    expect(parseWitnessPolicy({ ...base, names: [long, long, long] }).names?.[0]?.fa.length).toBe(200);
    expect(msg({ ...base, names: [long, long, { ...long, fa: 'گ'.repeat(201) }] })).toMatch(/names\[2\]\.fa/);
  });
});
