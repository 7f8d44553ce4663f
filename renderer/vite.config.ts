/**
 * Builds the Svelte renderer into renderer/dist: one self-contained bundle (no CDN, no web fonts), loaded by the
 * Electron window from disk and served by `netsprout serve`. `base: './'` keeps every asset URL relative, so the
 * same files work from file:// and from http://127.0.0.1:<port>/.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // cytoscape and Chart.js are big; one chunk each keeps the app shell small.
    chunkSizeWarningLimit: 1200,
    assetsInlineLimit: 0,
  },
  server: { host: '127.0.0.1', strictPort: false },
});
