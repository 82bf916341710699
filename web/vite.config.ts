import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * Writes x.br and x.gz beside every script, style sheet and the page: Vigil serves them to
 * browsers that accept them (@fastify/static preCompressed), so the console is compressed even
 * without a proxy in front, at no CPU cost per request.
 */
function precompress(): Plugin {
  return {
    name: 'vigil-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html)$/.test(name)) continue;
        const file = join(options.dir!, name);
        const raw = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

/**
 * The admin console: web/ → dist/web/, served by Vigil at /admin (src/admin/console/static.ts).
 * Static output only: hashed bundles under assets/, no inline scripts (the console CSP allows
 * only 'self'), no module-preload polyfill (it would be an inline script's worth of code we
 * do not need in the browsers the console supports).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/admin/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [precompress()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // uPlot in a chunk of its own: cached across console releases, and measured apart (bench:console).
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'uplot', test: /node_modules[\\/]uplot/ }] } } },
  },
  // `npx vite --config web/vite.config.ts`: the console with hot reload against a Vigil on :8000.
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8000', ws: true },
      '/health': 'http://127.0.0.1:8000',
    },
  },
});
