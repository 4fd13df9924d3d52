/** What every page shares: header with navigation and the language switch, footer with the
 * booth fingerprint, the live region, and re-rendering on a language switch. */
import '../styles/base.css';
import { applyStatic, lang, onLangChange, setLang, t, type Key } from '../i18n';
import { byId, fill, h, hexShort } from './dom';
import { rerenderErrors } from './errors';
import { toHex } from '../crypto/index.ts';
import type { Election } from './election';

type Page = 'vote' | 'lookup' | 'results' | 'board';

const NAV: Array<[Page, string, Key]> = [
  ['vote', '/', 'nav_vote'],
  ['lookup', '/lookup.html', 'nav_lookup'],
  ['results', '/results.html', 'nav_results'],
  ['board', '/board.html', 'nav_board'],
];

function renderHeader(page: Page): void {
  const links = NAV.map(([p, href, key]) =>
    h('li', {}, h('a', { href, 'aria-current': p === page ? 'page' : undefined }, t(key))));
  const other = lang() === 'fa' ? 'en' : 'fa';
  const toggle = h('button', {
    type: 'button', class: 'lang-toggle', id: 'lang-toggle', lang: other,
    'aria-label': t('lang_switch_label'),
  }, t('lang_switch'));
  toggle.addEventListener('click', () => {
    setLang(other);
    byId('lang-toggle').focus();
  });
  fill(byId('site-header'),
    h('div', { class: 'brand-row' },
      h('a', { class: 'brand', href: '/' }, t('site_title')), toggle),
    h('nav', { 'aria-label': t('nav_label') }, h('ul', {}, ...links)));
}

let footerInfo: Election | null = null;

/** The checked election id, and the booth fingerprint as the server reports it beside the one
 * the organizer signed in the manifest: worded as the server's report, never as a check. */
function renderFooter(): void {
  const foot = byId('site-footer');
  const el = footerInfo;
  if (!el) {
    foot.replaceChildren();
    return;
  }
  const served = el.info.booth?.hash ?? null;
  const published = el.manifest.booth === null ? null : toHex(el.manifest.booth);
  const status = published === null ? t('fingerprint_unpublished')
    : published === served ? t('fingerprint_match') : t('fingerprint_differs');
  const cls = published === null ? 'fp-none' : published === served ? 'fp-same' : 'fp-bad';
  fill(foot,
    h('p', {}, `${t('election_id')}: `, hexShort(el.electionId)),
    h('div', { class: cls, id: 'fingerprint', 'data-fp': cls.slice(3) },
      h('p', {}, `${t('booth_fingerprint')}. ${t('fp_served')}: `,
        served === null ? '—' : hexShort(served),
        published === null ? '' : `; ${t('fp_published')}: `,
        published === null ? null : hexShort(published), '.'),
      h('p', { id: 'fingerprint-note' }, status),
      h('p', { class: 'hint', id: 'fingerprint-how' }, t('fingerprint_how'))));
}

/** Draw the footer for an election that passed the shared check (ui/election.ts) only. */
export function setFooterElection(el: Election): void {
  footerInfo = el;
  renderFooter();
}

/** Build the shared parts of `page` and call `render` now and after every language switch. */
export function initShell(page: Page, render: () => void): void {
  const draw = (): void => {
    applyStatic();
    const title = document.body.dataset.title ?? '';
    document.title = `${t(title as Key)} — ${t('site_title')}`;
    renderHeader(page);
    renderFooter();
    render();
    rerenderErrors();
  };
  onLangChange(draw);
  draw();
}
