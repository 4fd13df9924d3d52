/** Step 1: the voter types (or scans) the credential code; it is parsed and checked in the
 * browser (spec §5.3) and never sent anywhere. */
import { parseCredentialCode } from '../../crypto/index.ts';
import { asciiDigits, t } from '../../i18n';
import { byId, fill, h } from '../dom';
import { clearError, showError } from '../errors';
import { startScan, scanSupported, stopScan } from './scan';
import { state } from './state';

/** Persian/Arabic digits to ASCII: the code's alphabet has 2–7, which a Persian keyboard types as ۲–۷. */
export function normalizeCode(raw: string): string {
  return asciiDigits(raw).trim();
}

export function initCodeStep(onAccepted: () => void): void {
  const form = byId<HTMLFormElement>('code-form');
  const input = byId<HTMLInputElement>('code-input');
  const err = byId('code-error');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    try {
      const cred = parseCredentialCode(normalizeCode(input.value));
      state.secret?.fill(0);  // a code entered again: the previous secret is erased first
      state.secret = cred.secret;
      state.credential = cred.credential;
      input.removeAttribute('aria-invalid');
      clearError(err);
      onAccepted();
    } catch (e) {
      input.setAttribute('aria-invalid', 'true');
      showError(err, e);
      input.focus();
    }
  });
  input.addEventListener('input', () => {
    if (!err.hidden) {
      clearError(err);
      input.removeAttribute('aria-invalid');
    }
  });
  const scanButton = byId<HTMLButtonElement>('scan-button');
  scanButton.hidden = !scanSupported();
  scanButton.addEventListener('click', () => {
    void startScan((text) => {
      input.value = text;
      form.requestSubmit();
    }, (e) => showError(err, e));
  });
  byId('scan-stop').addEventListener('click', () => {
    stopScan();
    scanButton.focus();
  });
}

/** The phase notice above the code form; voting controls are disabled outside "voting". */
export function renderPhase(): void {
  const info = state.info;
  const note = byId('phase-note');
  if (!info) return;
  const open = info.phase === 'voting' && state.ctx !== null;
  const key = info.phase === 'setup' ? 'phase_setup' : info.phase === 'voting' ? 'phase_voting'
    : info.phase === 'closed' ? 'phase_closed' : 'phase_done';
  const cls = open ? 'notice' : 'warn-box';
  const parts: Array<Node | string> = [h('p', {}, t(key))];
  if (state.ctx) parts.push(h('p', { class: 'ok-mark' }, t('election_checked')));
  fill(note, h('div', { class: cls, id: 'phase-text' }, ...parts));
  byId<HTMLButtonElement>('code-submit').disabled = !open;
  byId<HTMLInputElement>('code-input').disabled = !open;
}
