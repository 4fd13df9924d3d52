/** Step 3: encrypt in this browser (spec §5.5) and show the tracking code; the voter then casts or
 * audits this encryption. */
import { encryptBallot, toHex } from '../../crypto/index.ts';
import { byId, fill, hexBlock } from '../dom';
import { clearError, showError } from '../errors';
import { describeSelection } from './choose-step';
import { showStep } from './steps';
import { state } from './state';

/** Make a fresh encryption of the current selection (a new tracking code every time). */
export async function encryptNow(): Promise<void> {
  const status = byId('encrypt-status');
  const button = byId<HTMLButtonElement>('encrypt-button');
  status.hidden = false;
  button.disabled = true;
  // Let the spinner paint before the (synchronous) encryption runs.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  try {
    if (!state.ctx || !state.secret) throw new Error('no election context or credential');
    state.ballot = encryptBallot(state.ctx, state.secret, [...state.selected]);
    clearError(byId('tracking-error'));
    renderTracking();
    showStep('tracking');
  } catch (e) {
    showError(byId('choose-error'), e);
  } finally {
    status.hidden = true;
    button.disabled = false;
  }
}

export function renderTracking(): void {
  byId('choice-summary').textContent = describeSelection(state.selected);
  const b = state.ballot;
  const box = byId('tracking-code');
  if (b) fill(box, hexBlock(toHex(b.trackingCode), 'tracking'));
  else box.replaceChildren();
  box.dataset.tracking = b ? toHex(b.trackingCode) : '';
}

export function initTrackingStep(onCast: () => void, onAudit: () => void, onChange: () => void): void {
  byId('cast-button').addEventListener('click', onCast);
  byId('audit-button').addEventListener('click', onAudit);
  byId('change-button').addEventListener('click', onChange);
}
