/**
 * Vite build of the review station: `npm run build:web` writes `web/dist`, which the gateway serves at `/`. The
 * dev server (`npx vite web`) sends API calls to a gateway on the demo's default port.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  base: '/',
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
