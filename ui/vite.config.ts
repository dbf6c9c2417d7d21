import { defineConfig } from 'vite';

// The IDE is served by the engine's admin port (and embedded in the desktop shell), so every
// asset path is relative and the dev server forwards API calls to a locally running engine.
const engine = 'http://127.0.0.1:6060';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 8000,
  },
  worker: {
    format: 'es',
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: engine, changeOrigin: true },
      '/metrics': { target: engine, changeOrigin: true },
    },
  },
  preview: {
    host: '127.0.0.1',
  },
});
