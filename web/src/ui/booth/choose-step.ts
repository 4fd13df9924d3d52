/** Step 2: the question and its options as a native radio group (one choice) or checkboxes (several),
 * so arrow keys, Space and screen readers work without custom widgets. */
import { t, tr } from '../../i18n';
import { byId, fill, h } from '../dom';
import { BoothError, clearError, showError } from '../errors';
import { state } from './state';

const BLANK = -1;

/** A human summary of a selection, e.g. "Yes" or "Blank". */
export function describeSelection(selected: number[]): string {
  const m = state.info?.manifest;
  if (!m || selected.length === 0) return t('tracking_blank');
  return selected.map((i) => (m.options[i] ? tr(m.options[i]) : String(i))).join('، ');
}

/** Render the options (again, after a language switch) with the current selection checked. */
export function renderChoices(): void {
  const m = state.info?.manifest;
  if (!m) return;
  const single = m.max_selections === 1;
  byId('question').textContent = tr(m.question);
  const lo = m.min_selections, hi = m.max_selections;
  byId('choose-rule').textContent = single
    ? t('choose_one')
    : lo === 0 ? t('choose_up_to', { hi }) : t('choose_range', { lo, hi });
  const type = single ? 'radio' : 'checkbox';
  const rows = m.options.map((o, i) => {
    const input = h('input', {
      type, name: 'choice', value: String(i), id: `opt-${i}`,
      checked: state.selected.includes(i),
    });
    return h('label', { class: 'option', for: `opt-${i}` }, input, h('span', {}, tr(o)));
  });
  if (single && lo === 0) {
    const input = h('input', {
      type, name: 'choice', value: String(BLANK), id: 'opt-blank',
      checked: state.selected.length === 0 && byId('options').dataset.blankChosen === '1',
    });
    rows.push(h('label', { class: 'option blank', for: 'opt-blank' }, input,
      h('span', {}, t('choose_blank'))));
  }
  const note = !single && lo === 0 ? h('p', { class: 'hint' }, t('choose_blank_note')) : null;
  fill(byId('options'), ...rows, note);
}

/** The checked options, validated against the manifest's min/max (errors in the voter's language). */
function readSelection(): number[] {
  const m = state.info!.manifest;
  const boxes = [...document.querySelectorAll<HTMLInputElement>('#options input[name="choice"]')];
  const checked = boxes.filter((b) => b.checked).map((b) => Number(b.value));
  const single = m.max_selections === 1;
  if (single && checked.length === 0) throw new BoothError('choose_none');
  const sel = checked.filter((i) => i !== BLANK);
  if (sel.length < m.min_selections) throw new BoothError('choose_too_few', '', { lo: m.min_selections });
  if (sel.length > m.max_selections) throw new BoothError('choose_too_many', '', { hi: m.max_selections });
  return sel;
}

export function initChooseStep(onEncrypt: () => void, onBack: () => void): void {
  const err = byId('choose-error');
  byId('options').addEventListener('change', () => {
    const boxes = [...document.querySelectorAll<HTMLInputElement>('#options input[name="choice"]')];
    state.selected = boxes.filter((b) => b.checked && b.value !== String(BLANK)).map((b) => Number(b.value));
    byId('options').dataset.blankChosen = boxes.some((b) => b.checked && b.value === String(BLANK)) ? '1' : '';
    clearError(err);
  });
  byId<HTMLFormElement>('choose-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    try {
      state.selected = readSelection();
      clearError(err);
      onEncrypt();
    } catch (e) {
      showError(err, e);
      byId('options').querySelector('input')?.focus();
    }
  });
  byId('choose-back').addEventListener('click', onBack);
}
