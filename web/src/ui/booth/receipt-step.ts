/** The receipt (spec §5.7), checked in this browser: tracking code, board entry, the signed
 * checkpoint and, in an election with witnesses, their cosignatures of it (§8.8); a QR code
 * linking to the lookup page; save as JSON (the format `hamaporsi voter check --receipt`
 * reads) or print. */
import { NO_WITNESSES, cosignatureToJson } from '../../crypto/index.ts';
import { dateTime, num, t } from '../../i18n';
import { byId, fill, h, hexBlock, hexShort } from '../dom';
import { qrSvg } from '../qr';
import { witnessFacts } from '../witnesses';
import { state } from './state';

/** Exactly the receipt fields of spec §5.7, as the board stated and this browser checked them;
 * with witnesses, the valid cosignatures of the checkpoint ("cosignatures"). */
export function receiptJson(): Record<string, unknown> | null {
  const r = state.receipt;
  if (!r) return null;
  const out: Record<string, unknown> = { tracking_code: r.tracking_code, index: r.index,
    leaf_hash: r.leaf_hash, path: r.path, checkpoint: r.checkpoint };
  if ((state.ctx?.manifest.witnesses.threshold ?? 0) > 0) out.cosignatures = state.cosigners.map(cosignatureToJson);
  return out;
}


export function lookupUrl(tc: string): string {
  return new URL(`/lookup.html?tc=${tc}`, location.origin).href;
}

export function renderReceipt(): void {
  const r = state.receipt;
  const box = byId('receipt');
  if (!r || !r.checkpoint) {
    box.replaceChildren();
    return;
  }
  const cp = r.checkpoint;
  const url = lookupUrl(r.tracking_code);
  fill(box,
    h('p', { class: 'ok-box ok-mark', id: 'receipt-verified' }, t('receipt_verified', { index: r.index })),
    h('h2', { id: 'receipt-tc-label' }, t('tracking_label')),
    h('div', { 'aria-labelledby': 'receipt-tc-label' }, hexBlock(r.tracking_code, 'tracking')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('election_id')), h('dd', {}, hexShort(state.info?.election_id ?? cp.election)),
      h('dt', {}, t('receipt_index')), h('dd', { id: 'receipt-index' }, num(r.index)),
      h('dt', {}, t('receipt_cp_size')), h('dd', {}, num(cp.size)),
      h('dt', {}, t('receipt_cp_time')), h('dd', {}, dateTime(cp.time)),
      h('dt', {}, t('receipt_cp_root')), h('dd', {}, hexBlock(cp.root)),
      ...witnessFacts(state.ctx?.manifest.witnesses ?? NO_WITNESSES, state.cosigners, 'receipt-witnesses')),
    qrSvg(url, t('receipt_qr_label')),
    h('p', { class: 'qr-caption' }, h('a', { href: url, id: 'receipt-lookup' }, t('receipt_lookup_link'))));
}

function save(): void {
  const data = receiptJson();
  if (!data) return;
  const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' });
  const a = h('a', { href: URL.createObjectURL(blob), download: `hamaporsi-receipt-${String(data.tracking_code).slice(0, 12)}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export function initReceiptStep(onRevote: () => void): void {
  byId('save-button').addEventListener('click', save);
  byId('print-button').addEventListener('click', () => window.print());
  byId('revote-button').addEventListener('click', onRevote);
}
