/** The current language, message lookup with {placeholders}, and locale-aware numbers and dates. */
import { en, type Key } from './en';
import { fa } from './fa';

export type { Key };
export type Lang = 'fa' | 'en';

const CATALOGS: Record<Lang, Record<Key, string>> = { fa, en };
const STORAGE_KEY = 'hamaporsi.lang';
const listeners: Array<() => void> = [];

function initialLang(): Lang {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'fa' || q === 'en') return q;
  try {
    const s = localStorage.getItem(STORAGE_KEY);
    if (s === 'fa' || s === 'en') return s;
  } catch {
    /* storage may be disabled: Persian by default */
  }
  return 'fa';
}

let current: Lang = initialLang();

export function lang(): Lang {
  return current;
}

/** The message `key` in the current language, with `{name}` replaced by `vars[name]`. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return CATALOGS[current][key].replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = vars[name];
    return v === undefined ? `{${name}}` : typeof v === 'number' ? num(v) : v;
  });
}

/** True if `key` names a message (used to map server error codes to messages). */
export function hasKey(key: string): key is Key {
  return Object.prototype.hasOwnProperty.call(en, key);
}

/** A number in the current language's digits (Persian digits and separators in fa). */
export function num(n: number, opts: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(current === 'fa' ? 'fa-IR' : 'en-US', opts).format(n);
}

/** A Unix time as a date and time: the Persian calendar in fa, Gregorian in en. */
export function dateTime(unix: number): string {
  const locale = current === 'fa' ? 'fa-IR-u-ca-persian' : 'en-GB';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' })
    .format(new Date(unix * 1000));
}

/** Set `<html lang dir>` and every static `[data-i18n*]` text to the current language. */
export function applyStatic(root: ParentNode = document): void {
  document.documentElement.lang = current;
  document.documentElement.dir = current === 'fa' ? 'rtl' : 'ltr';
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const k = el.dataset.i18n ?? '';
    if (hasKey(k)) el.textContent = t(k);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
    const k = el.dataset.i18nLabel ?? '';
    if (hasKey(k)) el.setAttribute('aria-label', t(k));
  }
  document.title = t('site_title');
}

/** Switch language, remember it, and re-render everything that registered with onLangChange. */
export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* not remembered: still switched for this page */
  }
  applyStatic();
  for (const f of listeners) f();
}

export function onLangChange(f: () => void): void {
  listeners.push(f);
}

/** ۰-۹ and ٠-٩ to 0-9 (for inputs: voters may type Persian or Arabic digits). */
export function asciiDigits(s: string): string {
  return s.replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660));
}

/** A bilingual text of the manifest ({fa, en}) in the current language. */
export function tr(text: { fa: string; en: string }): string {
  return current === 'fa' ? text.fa : text.en;
}
