/** A string in Persian and English (spec §5.2), as protocol/text.py: the manifest's question,
 * options and witness names. Its own module so that manifest.ts and cosignature.ts share it. */
import * as codec from './codec.ts';

/** A string in Persian and English. */
export interface Text {
  readonly fa: string;
  readonly en: string;
}

/** Exactly {"en", "fa"}, each a non-empty string of at most `maxLen` characters. */
export function parseText(v: unknown, field: string, maxLen = 2000): Text {
  const o = codec.obj(v, field, ['fa', 'en']);
  return { fa: codec.text(o['fa'], `${field}.fa`, maxLen), en: codec.text(o['en'], `${field}.en`, maxLen) };
}
