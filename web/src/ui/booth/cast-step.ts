/** Casting: send the ballot's exact bytes, erase the secrets once the board has it, then wait
 * (with backoff) for a signed checkpoint that covers it and check the receipt in the browser (§5.7).
 * In an election with witnesses the checkpoint must also carry the threshold of valid witness
 * cosignatures (§8.8), checked here: until then the booth shows "waiting for witnesses (j of k)". */
import { checkReceipt, toHex, type ReceiptResult } from '../../crypto/index.ts';
import { t, type Key } from '../../i18n';
import { api, ApiError, type Accepted, type BallotStatus } from '../api';
import { byId, fill, h, sleep } from '../dom';
import { clearError, describe, showError } from '../errors';
import { witnessProgress } from '../witnesses';
import { showStep } from './steps';
import { state, wipeSecrets } from './state';

/** Refusals after which the same bytes may be sent again (the ballot was not judged). */
const RETRYABLE = new Set(['network', 'rate_limited', 'internal', 'unavailable', 'bad_response']);

interface CastView {
  key: Key; index: number | null; tries: number; busy: boolean;
  /** Valid witness cosignatures of the covering checkpoint so far (cast_witnesses). */
  witnesses: number;
}
let view: CastView = { key: 'cast_sending', index: null, tries: 0, busy: false, witnesses: 0 };

export function renderCast(): void {
  // The live region changes only when the message does (not on every poll), so a screen reader
  // announces each stage once; the poll count sits outside it.
  const status = byId('cast-status');
  const k = state.ctx?.manifest.witnesses.threshold ?? 0;
  const text = t(view.key, { index: view.index ?? 0, j: view.witnesses, k });
  if (view.key === 'cast_witnesses') status.dataset.witnesses = `${view.witnesses}/${k}`;
  else delete status.dataset.witnesses;
  if (status.dataset.text !== text || status.dataset.busy !== String(view.busy)) {
    fill(status, view.busy ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null, h('span', {}, text));
    status.dataset.text = text;
    status.dataset.busy = String(view.busy);
  }
  byId('cast-tries').textContent = view.tries > 0 ? t('cast_pending_try', { n: view.tries }) : '';
}

function setView(v: Partial<CastView>): void {
  view = { ...view, ...v };
  renderCast();
}

/** The board's answer for our tracking code after a retry was refused as a duplicate (the first
 * attempt may have reached the board although its answer was lost). */
async function alreadyThere(tc: string): Promise<Accepted | null> {
  try {
    const st = await api.ballot(tc);
    return st.kind === 'ballot' ? { status: 'pending', tracking_code: tc, index: st.index, leaf_hash: st.leaf_hash } : null;
  } catch {
    return null;
  }
}

export interface CastHandlers { onReceipt: () => void; onBackToCode: (e: unknown) => void; onChange: () => void }
let handlers: CastHandlers;

/** Send the current encryption (or, on retry, the same bytes again). */
export async function castNow(retry = false): Promise<void> {
  if (!retry) {
    const b = state.ballot;
    if (!b) return;
    state.castBytes = b.bytes;
    state.castTracking = toHex(b.trackingCode);
  }
  const bytes = state.castBytes, tc = state.castTracking;
  if (!bytes || !tc) return;
  const err = byId('cast-error');
  clearError(err);
  byId('cast-retry').hidden = true;
  byId('cast-change').hidden = true;
  setView({ key: 'cast_sending', index: null, tries: 0, busy: true, witnesses: 0 });
  showStep('casting');
  let acc: Accepted | null = null;
  try {
    acc = await api.castBallot(bytes);
  } catch (e) {
    if (retry && e instanceof ApiError && e.code === 'duplicate') acc = await alreadyThere(tc);
    if (!acc) {
      setView({ busy: false });
      const code = describe(e).code;
      if (code === 'unknown_credential' || code === 'bad_code') {
        handlers.onBackToCode(e);
        return;
      }
      showError(err, e);
      byId('cast-retry').hidden = !RETRYABLE.has(code);
      byId('cast-change').hidden = !state.secret;
      return;
    }
  }
  if (acc.tracking_code !== tc) {
    setView({ busy: false });
    showError(err, new ApiError(0, 'tracking_mismatch', `board: ${acc.tracking_code}`));
    return;
  }
  // The board holds the ballot: the code and the encryption secrets are no longer needed.
  wipeSecrets();
  setView({ key: 'cast_pending', index: acc.index });
  await waitForReceipt(tc, bytes);
}

async function waitForReceipt(tc: string, bytes: Uint8Array): Promise<void> {
  const err = byId('cast-error');
  let delay = 1000;
  for (let tries = 1; ; tries++) {
    let st: BallotStatus;
    try {
      st = await api.ballot(tc);
    } catch (e) {
      showError(err, e);
      if (!(e instanceof ApiError) || !RETRYABLE.has(e.code)) {
        setView({ busy: false });
        return;
      }
      await sleep(delay);
      delay = Math.min(delay * 1.5, 5000);
      continue;
    }
    clearError(err);
    const ctx = state.ctx!;
    const policy = ctx.manifest.witnesses;
    if (st.status === 'included') {
      let r: ReceiptResult;
      try {
        r = checkReceipt(st, ctx.boardKey, ctx.electionId, bytes, policy);
      } catch (e) {
        setView({ busy: false });
        showError(err, e);
        return;
      }
      if (r.witnessed) {
        state.receipt = st;
        state.cosigners = [...r.cosigners];
        setView({ busy: false });
        handlers.onReceipt();
        return;
      }
      // The board calls it included, but this browser counts too few valid cosignatures.
      setView({ key: 'cast_witnesses', witnesses: r.cosigners.length, tries });
    } else if (policy.threshold > 0) {
      const j = (await witnessProgress(policy, st.index, ctx.boardKey, ctx.electionId))?.length ?? null;
      setView(j === null ? { tries } : { key: 'cast_witnesses', witnesses: j, tries });
    } else {
      setView({ tries });
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 3000);
  }
}

export function initCastStep(hs: CastHandlers): void {
  handlers = hs;
  byId('cast-retry').addEventListener('click', () => void castNow(true));
  byId('cast-change').addEventListener('click', hs.onChange);
}
