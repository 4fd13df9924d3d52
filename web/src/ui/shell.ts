/** What every page shares: header with navigation and the language switch, footer with the
 * booth fingerprint, the live region, and re-rendering on a language switch. */
import '../styles/base.css';
import { applyStatic, lang, onLangChange, setLang, t, type Key } from '../i18n';
import { byId, fill, h, hexShort } from './dom';
import { rerenderErrors } from './errors';
import type { ElectionJson } from './api';

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

let footerInfo: ElectionJson | null = null;

/** The election id and whether the booth code served equals the fingerprint on the board. */
function renderFooter(): void {
  const foot = byId('site-footer');
  const info = footerInfo;
  if (!info) {
    foot.replaceChildren();
    return;
  }
  // The published fingerprint is the manifest's (signed by the organizer; on the vote page the
  // manifest is checked against the election hash), not the server's copy of it.
  const hash = info.booth.hash;
  const stated = info.manifest.booth;
  const published = typeof stated === 'string' ? stated : null;
  const status = published === null ? t('fingerprint_unpublished')
    : published === hash ? t('fingerprint_match') : t('fingerprint_differs');
  const cls = published === null ? 'fp-none' : published === hash ? 'fp-ok' : 'fp-bad';
  fill(foot,
    h('p', {}, `${t('election_id')}: `, hexShort(info.election_id)),
    hash === null ? null : h('p', { class: cls, id: 'fingerprint' },
      `${t('booth_fingerprint')}: `, hexShort(hash), ` — ${status}`));
}

export function setFooterElection(info: ElectionJson): void {
  footerInfo = info;
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
