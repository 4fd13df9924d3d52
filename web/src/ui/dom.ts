/** Small DOM helpers: build elements without innerHTML, show one section, announce to screen readers. */

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | undefined>;

/** `h('p', {class: 'x'}, 'text', child)`: an element with attributes and children (text is escaped). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
}

/** Replace the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el as T;
}

/** An SVG element (namespace-correct) with attributes. */
export function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Move keyboard and screen-reader focus to a heading or region (made focusable for it). */
export function focusOn(el: HTMLElement): void {
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus({ preventScroll: false });
}

/** A hex string in groups of four, inside `<bdi dir='ltr'>`, monospace, for reading aloud or copying. */
export function hexCode(hex: string, cls = 'hex'): HTMLElement {
  const groups = hex.match(/.{1,4}/g) ?? [];
  return h('bdi', { dir: 'ltr', class: cls, translate: 'no' }, groups.join(' '));
}

/** A long hex value (tracking code, root) as a block of four-character groups, four per row. */
export function hexBlock(hex: string, cls = ''): HTMLElement {
  const el = h('bdi', { dir: 'ltr', class: `hex hex-block ${cls}`.trim(), translate: 'no' });
  (hex.match(/.{1,4}/g) ?? []).forEach((g, i) => {
    if (i > 0) el.append(' ');
    el.append(h('span', {}, g));
  });
  return el;
}

/** A short prefix of a long hex value (for tables), full value in the title. */
export function hexShort(hex: string, chars = 16): HTMLElement {
  const el = hexCode(hex.slice(0, chars), 'hex short');
  el.title = hex;
  el.append('…');
  return el;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
