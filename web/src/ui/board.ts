/** Board page: the latest signed checkpoints, each signature checked in this browser, and each
 * checkpoint shown to extend the one before it by a consistency proof (spec §8.4, §8.5); in an
 * election with witnesses, how many of them validly cosigned each checkpoint (§8.8). */
import { checkConsistency, fromHex, toHex, verifyCheckpoint } from '../crypto/index.ts';
import { dateTime, num, t } from '../i18n';
import { api, type CheckpointJson, type ResultsJson } from './api';
import { byId, fill, h, hexShort } from './dom';
import { clearError, showError } from './errors';
import '../styles/board.css';
import { loadElection, type Election } from './election';
import { initShell } from './shell';
import { cosignersAt } from './witnesses';

/** `witnesses`: valid cosignatures of the checkpoint (null: no witnesses, or not checked). */
interface Row { cp: CheckpointJson; sigOk: boolean; consistent: boolean | null; witnesses: number | null }

let info: Election | null = null;
let rows: Row[] = [];
let turnout: ResultsJson['turnout'] | null = null;

/** Check every signature, then each newer checkpoint against the next older one. */
async function check(cps: CheckpointJson[], el: Election): Promise<Row[]> {
  const out: Row[] = cps.map((cp) => {
    try {
      // Against the signed manifest's board key and hash, not the served ones.
      verifyCheckpoint(cp, el.boardKey, el.electionId);
      return { cp, sigOk: true, consistent: null, witnesses: null };
    } catch {
      return { cp, sigOk: false, consistent: null, witnesses: null };
    }
  });
  const policy = el.manifest.witnesses;
  if (policy.threshold > 0) {
    await Promise.all(out.filter((r) => r.sigOk).map(async (r) => {
      r.witnesses = (await cosignersAt(policy, r.cp.size, el.boardKey, el.electionId))?.length ?? null;
    }));
  }
  // cps are newest first: row i extends row i + 1.
  for (let i = 0; i + 1 < out.length; i++) {
    const newer = out[i]!.cp, older = out[i + 1]!.cp;
    try {
      if (older.size > newer.size) throw new Error('a newer checkpoint is smaller');
      if (older.size === newer.size) {
        if (older.root !== newer.root) throw new Error('same size, different roots');
      } else {
        const p = await api.consistency(older.size, newer.size);
        checkConsistency(older.size, newer.size, fromHex(older.root), fromHex(newer.root), p.proof.map((x) => fromHex(x)));
      }
      out[i]!.consistent = true;
    } catch {
      out[i]!.consistent = false;
    }
  }
  return out;
}

function render(): void {
  const summary = byId('board-summary');
  const table = byId('checkpoints');
  if (!info) return;
  if (rows.length === 0) {
    fill(summary, h('p', { class: 'notice' }, t('board_none')));
    table.replaceChildren();
    return;
  }
  const allOk = rows.every((r) => r.sigOk && r.consistent !== false);
  const latest = rows[0]!.cp;
  fill(summary,
    h('p', { class: allOk ? 'ok-box ok-mark' : 'error-box bad-mark', id: 'board-verdict', 'data-ok': String(allOk) },
      allOk ? t('board_all_ok', { n: rows.length }) : t('board_problem')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('board_entries')), h('dd', { id: 'board-size' }, num(latest.size)),
      turnout && h('dt', {}, t('turnout_ballots')), turnout && h('dd', {}, num(turnout.ballots)),
      turnout && h('dt', {}, t('turnout_audits')), turnout && h('dd', {}, num(turnout.audits)),
      h('dt', {}, t('board_key')), h('dd', {}, hexShort(toHex(info.boardKey)))));
  fill(table, h('ol', { class: 'cp-list', id: 'cp-list' }, ...rows.map((r) => h('li', { class: 'cp' },
    h('dl', { class: 'facts' },
      h('dt', {}, t('board_cp_size')), h('dd', { class: 'cp-size' }, num(r.cp.size)),
      h('dt', {}, t('board_cp_time')), h('dd', {}, dateTime(r.cp.time)),
      h('dt', {}, t('board_cp_root')), h('dd', {}, hexShort(r.cp.root, 16))),
    h('p', { class: 'cp-checks' },
      h('span', { class: r.sigOk ? 'ok-mark' : 'bad-mark', 'data-check': 'sig' },
        r.sigOk ? t('board_sig_ok') : t('board_bad_sig')),
      r.consistent === null ? null : h('span', { class: r.consistent ? 'ok-mark' : 'bad-mark', 'data-check': 'consistency' },
        r.consistent ? t('board_consistent') : t('board_inconsistent')),
      r.witnesses === null ? null : witnessMark(r.witnesses, info!.manifest.witnesses.keys.length, info!.manifest.witnesses.threshold))))));
}

/** "cosigned by j of n witnesses (k required)", marked ok once j ≥ k. */
function witnessMark(j: number, n: number, k: number): HTMLElement {
  return h('span', { class: j >= k ? 'ok-mark' : 'waiting', 'data-check': 'witnesses', 'data-witnessed': `${j}/${n}/${k}` },
    t('board_cp_witnesses', { j, n, k }));
}

async function load(): Promise<void> {
  const err = byId('board-error');
  try {
    info = await loadElection();
    const [cps, res] = await Promise.all([api.checkpoints(20), api.results().catch(() => null)]);
    turnout = res?.turnout ?? null;
    rows = await check(cps.checkpoints, info);
    clearError(err);
    render();
  } catch (e) {
    showError(err, e);
  }
}

initShell('board', render);
void load();
