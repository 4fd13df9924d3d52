/** Results page: live turnout while voting is open (polled), then the published result as a
 * chart with a data table (spec §5.8, §7.4). */
import '../styles/results.css';
import { lang, num, t, tr, type Key } from '../i18n';
import { api, type ElectionJson, type ResultsJson } from './api';
import { barChart } from './chart';
import { byId, fill, h } from './dom';
import { clearError, showError } from './errors';
import { loadElection } from './election';
import { initShell } from './shell';

let info: ElectionJson | null = null;
let res: ResultsJson | null = null;

const PHASE: Record<string, Key> = {
  setup: 'phase_setup', voting: 'phase_voting', closed: 'phase_closed', done: 'phase_done',
};

function pct(part: number, whole: number): string {
  return whole > 0 ? num(part / whole, { style: 'percent', maximumFractionDigits: 1 }) : '—';
}

function renderTurnout(r: ResultsJson): void {
  const tu = r.turnout;
  const rows: Array<[Key, string]> = [
    ['turnout_voters', num(tu.voters)],
    ...(tu.eligible !== null ? [['turnout_eligible', num(tu.eligible)] as [Key, string],
      ['turnout_rate', pct(tu.voters, tu.eligible)] as [Key, string]] : []),
    ['turnout_ballots', num(tu.ballots)],
    ['turnout_audits', num(tu.audits)],
  ];
  fill(byId('turnout'),
    h('dl', { class: 'facts', id: 'turnout-facts' }, ...rows.flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', { 'data-key': k }, v)])),
    r.phase === 'voting' ? h('p', { class: 'hint' }, t('turnout_live')) : null);
}

function renderResult(r: ResultsJson): void {
  const out = byId('result');
  const m = info?.manifest;
  if (!r.result || !m) {
    fill(out, h('p', { class: 'notice', id: 'no-result' }, t('results_none')));
    return;
  }
  const counts = r.result.counts;
  // Ballots with no selection exist only where the manifest allows none (min_selections = 0).
  const blank = typeof r.result.blank === 'number' && m.min_selections === 0 ? r.result.blank : null;
  const rows = m.options.map((o, i) => ({ label: tr(o), value: counts[i] ?? 0 }));
  if (blank !== null) rows.push({ label: t('results_blank'), value: blank });
  const total = rows.reduce((s, x) => s + x.value, 0);
  const bars = rows.map((x) => ({ ...x, text: `${num(x.value)} (${pct(x.value, total)})` }));
  const table = h('table', { id: 'result-table' },
    h('caption', {}, t('results_table_caption')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('results_option')),
      h('th', { scope: 'col', class: 'num' }, t('results_votes')),
      h('th', { scope: 'col', class: 'num' }, t('results_share')))),
    h('tbody', {}, ...bars.map((b) => h('tr', {},
      h('th', { scope: 'row' }, b.label),
      h('td', { class: 'num' }, num(b.value)),
      h('td', { class: 'num' }, pct(b.value, total))))));
  fill(out, h('figure', { class: 'chart-figure' }, barChart(bars, lang() === 'fa')),
    h('div', { class: 'table-wrap' }, table));
}

function render(): void {
  if (info) byId('question').textContent = tr(info.manifest.question);
  if (!res) return;
  byId('phase').textContent = t(PHASE[res.phase] ?? 'phase_voting');
  renderTurnout(res);
  renderResult(res);
}

async function refresh(): Promise<void> {
  const err = byId('results-error');
  try {
    // Nothing is shown for an election that fails the shared check (ui/election.ts).
    if (!info) info = (await loadElection()).info;
    res = await api.results();
    clearError(err);
    render();
  } catch (e) {
    showError(err, e);
  }
  // Live while votes may still change the figures; stop once the result is out.
  if (!res || res.phase !== 'done' || !res.result) setTimeout(() => void refresh(), res?.phase === 'voting' ? 3000 : 10_000);
}

initShell('results', render);
void refresh();
