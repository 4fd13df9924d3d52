/** What the booth holds between steps, and how the secrets are erased. */
import type { BoothContext, Cosignature, EncryptedBallot } from '../../crypto/index.ts';
import type { BallotStatus, ElectionJson } from '../api';

export interface BoothState {
  info: ElectionJson | null;
  ctx: BoothContext | null;
  /** The credential secret (32 bytes) while the voter is voting; zeroed and dropped after cast. */
  secret: Uint8Array | null;
  /** The credential's x-only public key (not secret, but tied to this voter's ballot). */
  credential: Uint8Array | null;
  /** Selected option indices (manifest order). */
  selected: number[];
  /** The current encryption; dropped when cast or audited (an audited one is spent). */
  ballot: EncryptedBallot | null;
  /** The exact bytes sent when casting (kept to check the board's leaf and tracking code). */
  castBytes: Uint8Array | null;
  castTracking: string | null;
  receipt: BallotStatus | null;
  /** The receipt checkpoint's valid witness cosignatures, as this browser checked them. */
  cosigners: Cosignature[];
}

export const state: BoothState = {
  info: null, ctx: null, secret: null, credential: null, selected: [], ballot: null,
  castBytes: null, castTracking: null, receipt: null, cosigners: [],
};

/** Zero the credential secret and drop it, the nonces (inside the encryption) and the code typed. */
export function wipeSecrets(): void {
  state.secret?.fill(0);
  state.secret = null;
  state.credential = null;
  state.ballot = null;
  const input = document.getElementById('code-input');
  if (input instanceof HTMLInputElement) input.value = '';
}
