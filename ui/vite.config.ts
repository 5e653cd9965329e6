// Vite + Vitest configuration. `--mode mock` serves the UI against the in-memory mock backend
// (screenshots, design work without the Rust app); every other mode talks to Tauri.
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  define: {
    __MOCK_BACKEND__: JSON.stringify(mode === 'mock'),
  },
  // Tauri expects a fixed port and serves the built files itself; keep the output relative.
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  build: { target: 'es2022', outDir: 'dist', sourcemap: false },
  // Component tests need Svelte's browser build, not the server one jsdom would otherwise pick.
  resolve: mode === 'test' || mode === 'benchmark' ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    benchmark: { include: ['src/**/*.bench.ts'] },
  },
}));
