/** A horizontal bar chart drawn as SVG by hand (no library): decorative for screen readers, which
 * read the data table next to it instead. Bars start on the reading side (right in Persian). */
import { svg } from './dom';

export interface Bar { label: string; value: number; text: string }

const BAR = 28, GAP = 14, LABEL = 22, WIDTH = 320;

/** Bars of `bars` scaled to the largest value; `rtl` mirrors them. */
export function barChart(bars: Bar[], rtl: boolean): SVGElement {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowH = LABEL + BAR + GAP;
  const height = bars.length * rowH;
  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart', 'aria-hidden': 'true', focusable: 'false',
  });
  bars.forEach((b, i) => {
    const y = i * rowH;
    const w = Math.max(2, Math.round((b.value / max) * (WIDTH - 4)));
    // "start" is the reading side: the right edge in RTL, so x is the right end there.
    const label = svg('text', {
      x: rtl ? WIDTH - 2 : 2, y: y + LABEL - 6, 'text-anchor': 'start', direction: rtl ? 'rtl' : 'ltr',
      class: 'chart-label',
    });
    label.textContent = `${b.label} — ${b.text}`;
    const rect = svg('rect', {
      x: rtl ? WIDTH - w : 0, y: y + LABEL, width: w, height: BAR, rx: 3,
      class: `chart-bar chart-bar-${i % 6}`,
    });
    root.append(label, rect);
  });
  return root;
}
