/**
 * Booth speed under Node (a phone is slower): ballot encryption and verification per election
 * shape of tests/vectors/election.json. Run: `cd web && npx vitest bench --run`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bench, describe } from 'vitest';
import { encryptBallot, fromHex, parseCanonical, verifyBallot } from '../src/crypto/index.ts';
import { vectorContext } from '../src/crypto/vectors.ts';

const els: any[] = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../tests/vectors/election.json'), 'utf8')).cases;

for (const el of els) {
  const ctx = vectorContext(el);
  const secret = fromHex(el.credentials[0].secret);
  const selected = ctx.manifest.maxSelections > 1 ? [0, 2] : [0];
  const made = encryptBallot(ctx, secret, selected);
  describe(el.name, () => {
    bench('encryptBallot', () => {
      encryptBallot(ctx, secret, selected);
    }, { iterations: 10, time: 0 });
    bench('verifyBallot (parse + V5–V8)', () => {
      verifyBallot(ctx, parseCanonical(made.bytes));
    }, { iterations: 10, time: 0 });
  });
}
