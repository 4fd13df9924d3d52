/** Bench page (bench/browser_encrypt.py; not linked from the booth): times `encryptBallot` on the
 * served election with a throwaway credential, after a warm-up, and reports every run in ms. */
import { contextFrom, encryptBallot, type ElectionInfo } from '../../crypto/index.ts';

interface BenchResult { options: number; stored: number; runs: number[]; bytes: number }

declare global {
  interface Window { __bench?: (runs: number, warmup: number) => Promise<BenchResult> }
}

window.__bench = async (runs: number, warmup: number): Promise<BenchResult> => {
  const info = await (await fetch('/api/election', { cache: 'no-store' })).json() as ElectionInfo;
  const ctx = contextFrom(info);
  const secret = crypto.getRandomValues(new Uint8Array(32));
  secret[0] = 1; // below the group order
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const choice = [i % ctx.manifest.options.length];
    const t0 = performance.now();
    const b = encryptBallot(ctx, secret, choice);
    const dt = performance.now() - t0;
    bytes = b.bytes.length;
    if (i >= warmup) times.push(dt);
  }
  secret.fill(0);
  return { options: ctx.manifest.options.length, stored: ctx.manifest.storedOptions, runs: times, bytes };
};
document.body.dataset['state'] = 'ready';
