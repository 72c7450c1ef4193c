import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run build -w apps/demo` writes dist/, which the gateway serves at / (STATIC_DIR, see infra/local/up.sh).
// `npm run dev -w apps/demo` proxies the API and socket.io to a gateway on :3000.
export default defineConfig({
  plugins: [react()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'http://127.0.0.1:3000', ws: true },
    },
  },
});
