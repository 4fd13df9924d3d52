/** One step of the booth on screen at a time; its heading takes focus so screen readers start there. */
import { focusOn } from '../dom';

export type Step = 'code' | 'choose' | 'tracking' | 'audit' | 'casting' | 'receipt';
const STEPS: Step[] = ['code', 'choose', 'tracking', 'audit', 'casting', 'receipt'];

let current: Step | null = null;

export function currentStep(): Step | null {
  return current;
}

/** Show `step`, hide the others, and move focus to its heading. */
export function showStep(step: Step): void {
  current = step;
  for (const s of STEPS) {
    const el = document.getElementById(`step-${s}`);
    if (el) el.hidden = s !== step;
  }
  document.body.dataset.step = step;
  const heading = document.querySelector<HTMLElement>(`#step-${step} h1`);
  if (heading) focusOn(heading);
}
