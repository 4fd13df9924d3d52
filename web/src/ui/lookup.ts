/** Lookup page: a tracking code's entry on the board, its inclusion proof and the checkpoint
 * signature checked in this browser (spec §5.7, §8.3, §8.5). */
import { canonical, checkReceipt } from '../crypto/index.ts';
import { asciiDigits, dateTime, num, t } from '../i18n';
import { api, ApiError, type BallotStatus, type ElectionJson } from './api';
import { byId, fill, h, hexBlock } from './dom';
import { clearError, showError } from './errors';
import { initShell, setFooterElection } from './shell';

let info: ElectionJson | null = null;
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
  const counts = st.kind === 'ballot'
    ? h('p', { class: st.superseded ? 'warn-box' : 'notice', id: 'lookup-superseded',
      'data-superseded': String(st.superseded) }, st.superseded ? t('lookup_superseded') : t('lookup_counts'))
    : null;
  const cp = st.checkpoint;
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
    if (!info) info = await api.election();
    const st = await api.ballot(tc);
    if (st.tracking_code !== tc) throw new ApiError(0, 'tracking_mismatch', st.tracking_code);
    let verified = false;
    if (st.status === 'included') {
      // The entry itself, so that the check binds the tracking code to the leaf it proves.
      const got = await api.entries(st.index, st.index + 1);
      const entry = got.entries[0];
      if (got.start !== st.index || entry === undefined) throw new ApiError(0, 'bad_response', 'entry missing');
      checkReceipt(st, info.board_key, info.election_id, canonical(entry));
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
void api.election().then((i) => {
  info = i;
  setFooterElection(i);
}).catch(() => { /* shown when a lookup needs it */ });
const q = new URLSearchParams(location.search).get('tc');
if (q) {
  byId<HTMLInputElement>('tc-input').value = q;
  void lookup(q);
}
