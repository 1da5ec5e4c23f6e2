import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The API serves the built files at /ui. `npm run dev -w @berth/admin` serves them with
// hot reload and forwards API calls to BERTH_API (default the plain-HTTP loopback port
// `npm start` opens).
const api = process.env.BERTH_API ?? 'http://127.0.0.1:8080';
const proxied = ['/api', '/apis', '/auth', '/audit', '/ui/cluster-info', '/version'];

// The pure modules of @berth/core are bundled from source, one module at a time
// (`@berth/core/quantity`, `@berth/core/controllers/deployment/rollback`): its index pulls
// in everything, and its built output is CommonJS. libs/core uses no Node built-ins.
const coreSrc = fileURLToPath(new URL('../../libs/core/src/', import.meta.url));

export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  resolve: { alias: [{ find: /^@berth\/core\/(.*)$/, replacement: `${coreSrc}$1` }] },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4000 },
  server: {
    port: Number(process.env.PORT ?? 5173),
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: api, changeOrigin: true }])),
  },
});
