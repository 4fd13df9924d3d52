/** The Benaloh audit (spec §5.6): open the encryption, check in this browser that it holds the
 * voter's choice, publish it on the board, and never cast it; a fresh encryption follows. The
 * board's acceptance is reported as pending until its receipt checks like a cast one (§5.7). */
import { canonical, checkReceipt, toHex, verifyAudit, type BoothContext, type ReceiptResult } from '../../crypto/index.ts';
import { t } from '../../i18n';
import { api, ApiError, type BallotStatus } from '../api';
import { byId, fill, h, hexBlock, sleep } from '../dom';
import { clearError, showError } from '../errors';
import { describeSelection } from './choose-step';
import { showStep } from './steps';
import { state } from './state';

/** published: 'no' (not yet accepted), 'pending' (accepted, no checked receipt yet), 'verified'. */
interface AuditView {
  tracking: string; opened: number[] | null; matches: boolean; index: number | null; posting: boolean;
  published: 'no' | 'pending' | 'verified';
}
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
  const status = byId('audit-status');
  status.textContent = view.posting ? t('audit_publishing')
    : view.index === null ? ''
    : view.published === 'verified' ? t('audit_published', { index: view.index })
    : t('audit_pending', { index: view.index });
  status.dataset.status = view.published;
  byId<HTMLButtonElement>('fresh-button').disabled = view.posting || !view.matches;
}

/** Open the current encryption; it is dropped from the state first, so it can never be cast. */
export async function auditNow(): Promise<void> {
  const b = state.ballot;
  if (!b || !state.ctx) return;
  state.ballot = null;
  const entry = b.audit();
  const mine: AuditView = {
    tracking: toHex(b.trackingCode), opened: null, matches: false, index: null, posting: true, published: 'no',
  };
  view = mine;
  const ctx = state.ctx;
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
  const bytes = canonical(entry);
  try {
    const acc = await api.postAudit(bytes);
    if (acc.tracking_code !== mine.tracking) throw new ApiError(0, 'tracking_mismatch', `board: ${acc.tracking_code}`);
    mine.index = acc.index;
    mine.published = 'pending';
  } catch (e) {
    showError(err, e);
  } finally {
    mine.posting = false;
    renderAudit();
  }
  if (mine.published === 'pending') await confirmAudit(mine, ctx, bytes);
}

/** Poll the board (with backoff) until a signed (and, with witnesses, witnessed) checkpoint
 * covers the audit, then check the receipt against the exact bytes sent; stops when the voter
 * has moved on to another audit. */
async function confirmAudit(mine: AuditView, ctx: BoothContext, bytes: Uint8Array): Promise<void> {
  const err = byId('audit-error');
  let delay = 1000;
  while (view === mine) {
    let st: BallotStatus;
    try {
      st = await api.ballot(mine.tracking);
    } catch (e) {
      if (view === mine) showError(err, e);
      if (!(e instanceof ApiError) || !['network', 'rate_limited', 'internal', 'unavailable'].includes(e.code)) return;
      await sleep(delay);
      delay = Math.min(delay * 1.5, 5000);
      continue;
    }
    if (view !== mine) return;
    if (st.status === 'included') {
      let r: ReceiptResult;
      try {
        r = checkReceipt(st, ctx.boardKey, ctx.electionId, bytes, ctx.manifest.witnesses);
        if (st.kind !== 'audit') throw new ApiError(0, 'bad_response', 'the board lists the audit as a ballot');
      } catch (e) {
        showError(err, e);
        renderAudit();
        return;
      }
      if (r.witnessed) {  // otherwise too few valid witness cosignatures yet: keep polling
        mine.index = r.index;
        mine.published = 'verified';
        clearError(err);
        renderAudit();
        return;
      }
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 3000);
  }
}

export function initAuditStep(onFresh: () => void, onChange: () => void): void {
  byId('fresh-button').addEventListener('click', onFresh);
  byId('audit-change').addEventListener('click', onChange);
}
