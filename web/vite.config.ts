// Vite build of the booth (web/dist). The output must satisfy the server's CSP
// (script-src 'self'; style-src 'self'): no inline scripts or styles, no data: fonts.
// HAMAPORSI_BENCH_PAGE=1 adds the benchmark page and builds into web/dist-bench instead
// (bench/browser_encrypt.py), so that web/dist is always the production booth.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));
const benchPage = process.env['HAMAPORSI_BENCH_PAGE'] === '1';

/** One entry per HTML page; the booth UI adds its pages here. */
const pages: Record<string, string> = {
  // The booth UI (web/src/ui): vote, lookup a tracking code, results, the public board.
  main: resolve(here, 'index.html'),
  lookup: resolve(here, 'lookup.html'),
  results: resolve(here, 'results.html'),
  board: resolve(here, 'board.html'),
  // Runs the shared test vectors inside a browser: anyone may run them in their own browser
  // (docs/vectors.md); not linked from the booth's navigation.
  vectors: resolve(here, 'src/vectors-page/vectors.html'),
  // Times ballot encryption in the browser: only in the benchmark build (web/dist-bench).
  ...(benchPage ? { bench: resolve(here, 'src/ui/bench/bench.html') } : {}),
};

/** Pages kept under src/ (like the vectors page) are emitted at the top of dist/. */
function flattenPages(): Plugin {
  return {
    name: 'hamaporsi-flatten-pages',
    enforce: 'post',
    generateBundle(_options, bundle) {
      for (const item of Object.values(bundle)) {
        if (item.type === 'asset' && item.fileName.endsWith('.html') && item.fileName.includes('/')) {
          item.fileName = item.fileName.slice(item.fileName.lastIndexOf('/') + 1);
        }
      }
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [flattenPages()],
  build: {
    outDir: benchPage ? 'dist-bench' : 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The module-preload polyfill is an inline script; CSP would block it.
    modulePreload: { polyfill: false },
    // Never inline assets (fonts, images) as data: URLs into JS/CSS.
    assetsInlineLimit: 0,
    cssCodeSplit: true,
    sourcemap: false,
    rollupOptions: {
      input: pages,
    },
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
