/** Witness cosignatures as the pages see them (spec §5.7, §8.8): how many listed witnesses
 * validly cosigned a checkpoint, checked in this browser against the signed manifest's keys. */
import {
  parseCosignature, validCosigners, verifyCheckpoint, type Checkpoint, type Cosignature,
  type WitnessPolicy,
} from '../crypto/index.ts';
import { t } from '../i18n';
import { api } from './api';
import { h } from './dom';

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
 * signed checkpoint already covers entry `index`, how many witnesses have validly cosigned
 * it (the ballot waits for the rest); null if no signed checkpoint covers it yet. */
export async function witnessProgress(policy: WitnessPolicy, index: number, boardKey: Uint8Array, electionId: string): Promise<number | null> {
  try {
    // The checkpoints list, not /api/board/checkpoint: no 404 while none is signed yet.
    const latest = (await api.checkpoints(1)).checkpoints[0];
    if (latest === undefined) return null;
    const cp = verifyCheckpoint(latest, boardKey, electionId);
    if (cp.size <= index) return null;
    return (await cosignersAt(policy, cp.size, boardKey, electionId))?.length ?? null;
  } catch {
    return null;
  }
}

/** "Witnessed by j of n (k required)" as a term and its description, or nothing in an election
 * without witnesses; `data-witnessed="j/n/k"` for tests and tools. */
export function witnessFacts(j: number, n: number, k: number, id: string): HTMLElement[] {
  if (k === 0) return [];
  return [h('dt', {}, t('receipt_witnesses')),
    h('dd', { id, 'data-witnessed': `${j}/${n}/${k}` }, t('receipt_witnessed', { j, n, k }))];
}
