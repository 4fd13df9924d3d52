/** The Benaloh audit (spec §5.6): open the encryption, check in this browser that it holds the
 * voter's choice, publish it on the board, and never cast it; a fresh encryption follows. */
import { canonical, toHex, verifyAudit } from '../../crypto/index.ts';
import { t } from '../../i18n';
import { api } from '../api';
import { byId, fill, h, hexBlock } from '../dom';
import { clearError, showError } from '../errors';
import { describeSelection } from './choose-step';
import { showStep } from './steps';
import { state } from './state';

interface AuditView { tracking: string; opened: number[] | null; matches: boolean; index: number | null; posting: boolean }
let view: AuditView | null = null;

function sameSet(a: number[], b: number[]): boolean {
  const x = [...a].sort((p, q) => p - q), y = [...b].sort((p, q) => p - q);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function renderAudit(): void {
  if (!view) return;
  byId('audit-choice').textContent = view.opened ? describeSelection(view.opened) : '—';
  fill(byId('audit-tracking'), h('p', {}, t('tracking_label')), hexBlock(view.tracking, 'tracking'));
  const check = byId('audit-check');
  if (view.opened === null) check.replaceChildren();
  else if (view.matches) fill(check, h('p', { class: 'ok-box ok-mark', id: 'audit-ok' }, t('audit_verified')));
  else fill(check, h('p', { class: 'error-box bad-mark', id: 'audit-bad' }, t('audit_mismatch')));
  byId('audit-status').textContent = view.posting ? t('audit_publishing')
    : view.index !== null ? t('audit_published', { index: view.index }) : '';
  byId<HTMLButtonElement>('fresh-button').disabled = view.posting || !view.matches;
}

/** Open the current encryption; it is dropped from the state first, so it can never be cast. */
export async function auditNow(): Promise<void> {
  const b = state.ballot;
  if (!b || !state.ctx) return;
  state.ballot = null;
  const entry = b.audit();
  view = { tracking: toHex(b.trackingCode), opened: null, matches: false, index: null, posting: true };
  const err = byId('audit-error');
  clearError(err);
  showStep('audit');
  try {
    view.opened = verifyAudit(state.ctx, entry);
    view.matches = sameSet(view.opened, state.selected);
  } catch (e) {
    showError(err, e);
  }
  renderAudit();
  try {
    const acc = await api.postAudit(canonical(entry));
    view.index = acc.index;
  } catch (e) {
    showError(err, e);
  } finally {
    view.posting = false;
    renderAudit();
  }
}

export function initAuditStep(onFresh: () => void, onChange: () => void): void {
  byId('fresh-button').addEventListener('click', onFresh);
  byId('audit-change').addEventListener('click', onChange);
}
