/** The one check every page runs on GET /api/election, in every phase, before it shows or checks
 * anything: the election id is recomputed as the signed manifest's hash and the board key is
 * taken from the manifest, never from the server's word (spec §5.2, §8.5). */
import { checkElection, type CheckedElection, type ElectionInfo } from '../crypto/index.ts';
import { api, type ElectionJson } from './api';
import { setFooterElection } from './shell';

/** The served election after the check; `info` is the served JSON, whose `manifest` was checked. */
export interface Election extends CheckedElection {
  readonly info: ElectionJson;
}

/** Fetch and check the election; refusals carry `election_mismatch` or `board_key_mismatch`.
 * The footer (election id, booth fingerprint) is drawn only for a checked election. */
export async function loadElection(): Promise<Election> {
  const info = await api.election();
  const el: Election = { ...checkElection(info as unknown as ElectionInfo), info };
  setFooterElection(el);
  return el;
}
