/** Lookup page: a tracking code's entry on the board, its inclusion proof and the checkpoint
 * signature checked in this browser (spec §5.7, §8.3, §8.5). */
import { canonical, checkReceipt } from '../crypto/index.ts';
import { asciiDigits, dateTime, num, t } from '../i18n';
import { api, ApiError, type BallotStatus } from './api';
import { byId, fill, h, hexBlock } from './dom';
import { clearError, showError } from './errors';
import { loadElection, type Election } from './election';
import { initShell } from './shell';

let election: Election | null = null;
let shown: { st: BallotStatus; verified: boolean } | null = null;
let busy = false;

/** Hex from what a voter may type or paste: spaces and dashes dropped, Persian digits and capitals folded. */
export function normalizeTracking(raw: string): string {
  return asciiDigits(raw).replace(/[\s\-\u200c\u200e\u200f]/g, '').toLowerCase();
}

function render(): void {
  const out = byId('lookup-result');
  if (busy) {
    fill(out, h('p', { class: 'notice' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('lookup_checking')));
    return;
  }
  if (!shown) {
    out.replaceChildren();
    return;
  }
  const { st, verified } = shown;
  const kind = st.kind === 'audit' ? t('lookup_kind_audit') : t('lookup_kind_ballot');
  const status = st.status === 'included' && verified
    ? h('p', { class: 'ok-box ok-mark', id: 'lookup-status', 'data-status': 'included' }, t('lookup_status_included'))
    : h('p', { class: 'notice', id: 'lookup-status', 'data-status': 'pending' }, t('lookup_status_pending'));
  const cp = st.checkpoint;
  // Whether a later ballot replaced this one is the board's statement (the browser checks the
  // inclusion of this entry, not the absence of later ones), and is worded as such.
  const claim = st.superseded ? t('lookup_superseded')
    : verified && cp ? t('lookup_counts', { n: cp.size }) : t('lookup_counts_pending');
  const counts = st.kind === 'ballot'
    ? h('p', { class: st.superseded ? 'warn-box' : 'notice', id: 'lookup-superseded',
      'data-superseded': String(st.superseded), 'data-claim': 'board' }, claim)
    : null;
  fill(out,
    h('h2', {}, kind),
    h('p', {}, t('tracking_label')), hexBlock(st.tracking_code, 'tracking'),
    status, counts,
    h('dl', { class: 'facts' },
      h('dt', {}, t('receipt_index')), h('dd', {}, num(st.index)),
      cp && h('dt', {}, t('receipt_cp_size')), cp && h('dd', {}, num(cp.size)),
      cp && h('dt', {}, t('receipt_cp_time')), cp && h('dd', {}, dateTime(cp.time))));
}

async function lookup(raw: string): Promise<void> {
  const err = byId('lookup-error');
  const input = byId<HTMLInputElement>('tc-input');
  clearError(err);
  input.removeAttribute('aria-invalid');
  shown = null;
  const tc = normalizeTracking(raw);
  busy = true;
  render();
  try {
    // The board key and election id come from the signed manifest, never from the server's word.
    if (!election) election = await loadElection();
    const st = await api.ballot(tc);
    if (st.tracking_code !== tc) throw new ApiError(0, 'tracking_mismatch', st.tracking_code);
    let verified = false;
    if (st.status === 'included') {
      // The entry itself, so that the check binds the tracking code to the leaf it proves.
      const got = await api.entries(st.index, st.index + 1);
      const entry = got.entries[0];
      if (got.start !== st.index || entry === undefined) throw new ApiError(0, 'bad_response', 'entry missing');
      checkReceipt(st, election.boardKey, election.electionId, canonical(entry));
      verified = true;
    }
    shown = { st, verified };
    history.replaceState(null, '', `?tc=${tc}`);
  } catch (e) {
    if (e instanceof ApiError && (e.code === 'bad_tracking_code' || e.code === 'not_found')) {
      input.setAttribute('aria-invalid', 'true');
    }
    showError(err, e);
  } finally {
    busy = false;
    render();
  }
}

initShell('lookup', render);
byId<HTMLFormElement>('lookup-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void lookup(byId<HTMLInputElement>('tc-input').value);
});
void loadElection().then((el) => {
  election = el;
}).catch((e: unknown) => {
  if (!busy) showError(byId('lookup-error'), e);
});
const q = new URLSearchParams(location.search).get('tc');
if (q) {
  byId<HTMLInputElement>('tc-input').value = q;
  void lookup(q);
}
