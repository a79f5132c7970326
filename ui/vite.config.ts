import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// `npm run dev` serves the UI for the Tauri shell (devUrl http://localhost:1420).
// `npm run preview:demo` (mode "demo") serves it in a plain browser against a canned copy of the
// demo workspace: the Tauri IPC modules are swapped for demo/ fakes. That mode exists only for
// looking at screens without the shell; `npm run build` never includes it.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  resolve: {
    alias:
      mode === 'demo'
        ? [
            { find: /^@tauri-apps\/api\/core$/, replacement: here('./demo/tauri-core.ts') },
            { find: /^@tauri-apps\/api\/event$/, replacement: here('./demo/tauri-event.ts') },
          ]
        : [],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // CodeMirror is most of the weight; keep it in its own chunk. Nothing is fetched remotely.
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      output: {
        manualChunks: (id) => (id.includes('node_modules/@codemirror') || id.includes('node_modules/@lezer') ? 'editor' : undefined),
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
}));
