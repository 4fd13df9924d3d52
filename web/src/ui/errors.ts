/** Any failure (server refusal, network, crypto check, bad input) as a message in the voter's language. */
import { hasKey, lang, t } from '../i18n';
import { h, fill } from './dom';
import { ApiError } from './api';

export interface Shown { message: string; detail: string; code: string }

/** An error thrown on purpose by the booth, carrying a catalog code (err_<code>). */
export class BoothError extends Error {
  constructor(readonly code: string, detail = '', readonly vars: Record<string, string | number> = {}) {
    super(detail || code);
    this.name = 'BoothError';
  }
}

function codeOf(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') return e.code;
  return '';
}

/** The message for `e`: its code's catalog entry, or the generic one plus the raw detail. */
export function describe(e: unknown): Shown {
  const code = codeOf(e);
  const detail = e instanceof ApiError ? e.detail : e instanceof Error ? e.message : String(e);
  if (e instanceof ApiError && code === 'rate_limited') {
    const message = e.retryAfter ? t('err_rate_limited', { s: e.retryAfter })
      : t('err_rate_limited_nowait');
    return { message, detail, code };
  }
  const reason = e && typeof e === 'object' && 'reason' in e && typeof e.reason === 'string'
    ? e.reason : '';
  const reasonKey = `code_${reason}`;
  if (code === 'bad_code' && hasKey(reasonKey)) return { message: t(reasonKey), detail, code };
  const key = `err_${code}`;
  const vars = e instanceof BoothError ? e.vars : {};
  if (code && hasKey(key)) return { message: t(key, vars), detail, code };
  const family = e instanceof Error ? e.name : '';
  if (family === 'InvalidProof') return { message: t('err_proof_failed'), detail, code };
  if (family === 'EncodingError') return { message: t('err_encoding_failed'), detail, code };
  if (family === 'ReceiptError') return { message: t('err_receipt_invalid'), detail, code };
  const own = e instanceof ApiError ? e.serverMessage?.[lang()] : undefined;
  if (typeof own === 'string' && own) return { message: own, detail, code };
  if (e instanceof ApiError && e.status >= 500) return { message: t('err_server'), detail, code };
  return { message: t('err_generic'), detail, code: code || 'unknown' };
}

const shownErrors = new Map<HTMLElement, unknown>();

/** Show `e` in `box` (a role='alert' element, so it is announced); the raw detail sits in a
 * disclosure. The box is re-rendered when the language changes. */
export function showError(box: HTMLElement, e: unknown): Shown {
  shownErrors.set(box, e);
  const s = describe(e);
  const parts: Array<Node | string> = [h('p', { class: 'error-message' }, s.message)];
  if (s.detail && s.detail !== s.code) {
    parts.push(h('details', {},
      h('summary', {}, t('error_detail')),
      h('p', { class: 'error-detail', dir: 'ltr' }, `${s.code}: ${s.detail}`)));
  }
  fill(box, ...parts);
  box.hidden = false;
  box.dataset.code = s.code;
  return s;
}

export function clearError(box: HTMLElement): void {
  shownErrors.delete(box);
  box.replaceChildren();
  box.hidden = true;
  delete box.dataset.code;
}

/** Re-render every error on show in the current language (after a language switch). */
export function rerenderErrors(): void {
  for (const [box, e] of shownErrors) {
    if (box.isConnected && !box.hidden) showError(box, e);
  }
}
