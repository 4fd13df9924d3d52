/**
 * The vectors page (tests only; not linked from the booth): fetches every shared vector file
 * from /vectors/<name> (the test serves tests/vectors there) and runs the same checks as
 * vitest (src/crypto/vectors.ts) inside the browser. The result goes to
 * `window.__vectorResults` = {passed, failed: [{file, name, error}], counts} and, as JSON,
 * into <pre id="results">; <body data-state> turns "done" (or "error").
 */
import { ALL_FILES, buildSuite, runSuite, type SuiteResult } from '../crypto/vectors.ts';

declare global {
  interface Window {
    __vectorResults?: SuiteResult | { passed: 0; failed: { file: string; name: string; error: string }[] };
  }
}

async function fetchText(name: string): Promise<string> {
  const res = await fetch(`/vectors/${name}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`GET /vectors/${name}: HTTP ${res.status}`);
  return res.text();
}

async function main(): Promise<void> {
  const out = document.getElementById('results');
  document.body.dataset['state'] = 'running';
  try {
    const texts: Record<string, string> = {};
    await Promise.all(ALL_FILES.map(async (name) => {
      texts[name] = await fetchText(name);
    }));
    const started = performance.now();
    const result = runSuite(buildSuite(texts));
    window.__vectorResults = result;
    if (out) out.textContent = JSON.stringify({ ...result, ms: Math.round(performance.now() - started) }, null, 2);
    document.body.dataset['state'] = 'done';
  } catch (e) {
    const failed = [{ file: '(page)', name: 'load', error: e instanceof Error ? e.message : String(e) }];
    window.__vectorResults = { passed: 0, failed };
    if (out) out.textContent = JSON.stringify(window.__vectorResults, null, 2);
    document.body.dataset['state'] = 'error';
  }
}

void main();
