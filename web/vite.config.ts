import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard's bundle: web/ → web/dist, served by the API process at / (src/http/web-app.ts).
// Built by scripts/build-web.ts; `npx vite --config web/vite.config.ts` serves it with reload,
// proxying the API to a server on :3000.
const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: { outDir: path.join(root, 'dist'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/v1': 'http://localhost:3000', '/docs': 'http://localhost:3000', '/openapi.json': 'http://localhost:3000' } },
});
