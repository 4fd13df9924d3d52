/** Lookup page: a tracking code's entry on the board, its inclusion proof, the checkpoint
 * signature and, in an election with witnesses, their cosignatures, checked in this browser
 * (spec §5.7, §8.3, §8.5, §8.8). */
import { NO_WITNESSES, canonical, checkReceipt, type Cosignature } from '../crypto/index.ts';
import { asciiDigits, dateTime, num, t } from '../i18n';
import { api, ApiError, type BallotStatus } from './api';
import { byId, fill, h, hexBlock } from './dom';
import { clearError, showError } from './errors';
import { loadElection, type Election } from './election';
import { initShell } from './shell';
import { witnessFacts, witnessProgress } from './witnesses';

let election: Election | null = null;
/** `witnesses`: valid cosignatures of the covering checkpoint (null: none covers it yet). */
let shown: { st: BallotStatus; verified: boolean; witnesses: readonly Cosignature[] | null } | null = null;
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
  const { st, verified, witnesses: cosigners } = shown;
  const policy = election?.manifest.witnesses ?? NO_WITNESSES;
  const k = policy.threshold;
  const witnesses = cosigners === null ? null : cosigners.length;
  const witnessed = witnesses !== null && witnesses >= k;
  const kind = st.kind === 'audit' ? t('lookup_kind_audit') : t('lookup_kind_ballot');
  const status = st.status === 'included' && verified && witnessed
    ? h('p', { class: 'ok-box ok-mark', id: 'lookup-status', 'data-status': 'included' }, t('lookup_status_included'))
    : witnesses !== null && k > 0
      ? h('p', { class: 'notice', id: 'lookup-status', 'data-status': 'witnessing', 'data-witnesses': `${witnesses}/${k}` },
        t('lookup_status_witnessing', { j: witnesses, k }))
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
      cp && h('dt', {}, t('receipt_cp_time')), cp && h('dd', {}, dateTime(cp.time)),
      ...(verified && cosigners !== null ? witnessFacts(policy, cosigners, 'lookup-witnesses') : [])));
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
    let witnesses: readonly Cosignature[] | null = null;
    const policy = election.manifest.witnesses;
    if (st.status === 'included') {
      // The entry itself, so that the check binds the tracking code to the leaf it proves.
      const got = await api.entries(st.index, st.index + 1);
      const entry = got.entries[0];
      if (got.start !== st.index || entry === undefined) throw new ApiError(0, 'bad_response', 'entry missing');
      const r = checkReceipt(st, election.boardKey, election.electionId, canonical(entry), policy);
      verified = true;
      witnesses = r.cosigners;
    } else if (policy.threshold > 0) {
      witnesses = await witnessProgress(policy, st.index, election.boardKey, election.electionId);
    }
    shown = { st, verified, witnesses };
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
