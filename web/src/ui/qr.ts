/** A QR code as an SVG element built node by node (no markup strings), from the `qr` package. */
import encodeQR from 'qr';
import { svg } from './dom';

/** An accessible SVG QR code of `text` (error correction "medium", 4-module quiet zone). */
export function qrSvg(text: string, label: string): SVGElement {
  const m = encodeQR(text, 'raw', { ecc: 'medium', border: 4 });
  const n = m.length;
  let d = '';
  for (let y = 0; y < n; y++) {
    const row = m[y]!;
    for (let x = 0; x < n; x++) {
      if (!row[x]) continue;
      let w = 1;
      while (x + w < n && row[x + w]) w++;
      d += `M${x} ${y}h${w}v1h-${w}z`;
      x += w - 1;
    }
  }
  const el = svg('svg', {
    viewBox: `0 0 ${n} ${n}`, class: 'qr', role: 'img', 'aria-label': label,
    'shape-rendering': 'crispEdges',
  });
  el.append(svg('rect', { width: n, height: n, fill: '#fff' }), svg('path', { d, fill: '#000' }));
  return el;
}
