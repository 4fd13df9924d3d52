/** Witness cosignatures as the pages see them (spec §5.7, §8.8): how many listed witnesses
 * validly cosigned a checkpoint, checked in this browser against the signed manifest's keys. */
import {
  parseCosignature, toHex, validCosigners, verifyCheckpoint, witnessName, type Checkpoint,
  type Cosignature, type WitnessPolicy,
} from '../crypto/index.ts';
import { lang, t } from '../i18n';
import { api } from './api';
import { h, hexShort } from './dom';

/** The valid cosigners of `cp` among `list` (served JSON); malformed ones do not count. */
export function cosignersOf(policy: WitnessPolicy, cp: Checkpoint, list: readonly unknown[]): Cosignature[] {
  const css: Cosignature[] = [];
  for (const c of list) {
    try {
      css.push(parseCosignature(c));
    } catch {
      /* not a cosignature: it does not count */
    }
  }
  return validCosigners(policy, cp, css);
}

/** Valid cosigners of the checkpoint of `size` on the board, or null if the board has none
 * of that size or the answer does not check. */
export async function cosignersAt(policy: WitnessPolicy, size: number, boardKey: Uint8Array, electionId: string): Promise<Cosignature[] | null> {
  try {
    const got = await api.cosignatures(size);
    const cp = verifyCheckpoint(got.checkpoint, boardKey, electionId);
    if (cp.size !== size || !Array.isArray(got.cosignatures)) return null;
    return cosignersOf(policy, cp, got.cosignatures);
  } catch {
    return null;
  }
}

/** While the board reports a ballot pending in an election with witnesses: if the latest
 * signed checkpoint already covers entry `index`, the witnesses that validly cosigned it (the
 * ballot waits for the rest); null if no signed checkpoint covers it yet. */
export async function witnessProgress(policy: WitnessPolicy, index: number, boardKey: Uint8Array, electionId: string): Promise<Cosignature[] | null> {
  try {
    // The checkpoints list, not /api/board/checkpoint: no 404 while none is signed yet.
    const latest = (await api.checkpoints(1)).checkpoints[0];
    if (latest === undefined) return null;
    const cp = verifyCheckpoint(latest, boardKey, electionId);
    if (cp.size <= index) return null;
    return await cosignersAt(policy, cp.size, boardKey, electionId);
  } catch {
    return null;
  }
}

/** Who cosigned, in the manifest's order: each witness's name in the page's language (spec
 * §5.2 "names"), or a short fingerprint of its key when the manifest names no one. */
export function witnessList(policy: WitnessPolicy, cosigners: readonly Cosignature[], id: string): HTMLElement | null {
  const got = new Set(cosigners.map((c) => toHex(c.witness)));
  const keys = policy.keys.filter((k) => got.has(toHex(k)));
  if (!keys.length) return null;
  const items = keys.map((k) => {
    const name = witnessName(policy, k);
    return h('li', { 'data-witness': toHex(k) }, name ? h('bdi', {}, name[lang()]) : hexShort(toHex(k)));
  });
  return h('div', { class: 'witness-names' },
    h('span', { id: `${id}-names-label` }, t('receipt_witness_names')),
    h('ul', { id: `${id}-names`, 'aria-labelledby': `${id}-names-label`, 'data-named': String(Boolean(policy.names?.length)) }, ...items));
}

/** "Witnessed by j of n (k required)" and who they are, as a term and its description, or
 * nothing in an election without witnesses; `data-witnessed="j/n/k"` for tests and tools. */
export function witnessFacts(policy: WitnessPolicy, cosigners: readonly Cosignature[], id: string): HTMLElement[] {
  const k = policy.threshold;
  if (k === 0) return [];
  const j = cosigners.length, n = policy.keys.length;
  return [h('dt', {}, t('receipt_witnesses')),
    h('dd', { id, 'data-witnessed': `${j}/${n}/${k}` }, t('receipt_witnessed', { j, n, k }),
      witnessList(policy, cosigners, id))];
}
