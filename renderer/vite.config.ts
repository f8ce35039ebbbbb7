import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run build:renderer` (vite build renderer: this folder is the root) →
// renderer/dist, loaded by the Electron shell from file:// or served by the
// web shell; relative asset paths work for both.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
});
