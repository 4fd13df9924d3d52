/**
 * Every case of every shared vector file (tests/vectors, docs/vectors.md) through the booth
 * crypto, as one vitest test per case. The files are enumerated from the directory, so a new
 * file without checks, a missing file, an empty file or an unknown case kind fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ALL_FILES, buildSuite } from '../src/crypto/vectors.ts';

const DIR = resolve(import.meta.dirname, '../../tests/vectors');

function readVectors(): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const name of readdirSync(DIR)) if (name.endsWith('.json')) texts[name] = readFileSync(join(DIR, name), 'utf8');
  for (const name of readdirSync(join(DIR, 'public'))) texts[`public/${name}`] = readFileSync(join(DIR, 'public', name), 'utf8');
  return texts;
}

const texts = readVectors();
const suite = buildSuite(texts);

test('the directory holds exactly the known vector files', () => {
  expect(Object.keys(texts).sort()).toEqual([...ALL_FILES].sort());
});

for (const file of suite) {
  describe(file.file, () => {
    test('has cases', () => {
      expect(file.cases.length).toBeGreaterThan(0);
    });
    test.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      c.run();
    });
  });
}
