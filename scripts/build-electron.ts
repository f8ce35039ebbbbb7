import { build, type BuildOptions } from 'esbuild';
import { pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';

// Builds the Electron main process and preload (electron-vite is not a
// dependency; esbuild, which vite already brings, does the same job):
//   out/main/index.js     ESM, the app's code bundled, packages left to node_modules
//   out/preload/index.cjs CommonJS, self-contained: a sandboxed preload may require only `electron`
// Usage: npm run build:electron   (the renderer is built separately into renderer/dist)

export const ELECTRON_TARGET = 'node22'; // Electron 39 runs Node 22

export function electronBuilds(outDir: string): BuildOptions[] {
  const root = resolve(import.meta.dirname, '..');
  const common: BuildOptions = { bundle: true, platform: 'node', target: ELECTRON_TARGET, sourcemap: true, logLevel: 'warning', absWorkingDir: root };
  return [
    {
      ...common,
      entryPoints: [join(root, 'src/electron/index.ts')],
      outfile: join(outDir, 'main/index.js'),
      format: 'esm',
      packages: 'external',
      // bundled CommonJS interop needs a real `require` in an ES module
      banner: { js: "import { createRequire as __civicardRequire } from 'node:module'; const require = __civicardRequire(import.meta.url);" },
    },
    {
      ...common,
      entryPoints: [join(root, 'src/electron/preload.ts')],
      outfile: join(outDir, 'preload/index.cjs'),
      format: 'cjs',
      external: ['electron'],
    },
  ];
}

export async function buildElectron(outDir = join(dirname(import.meta.dirname), 'out')): Promise<void> {
  await Promise.all(electronBuilds(outDir).map((options) => build(options)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildElectron().then(
    () => process.stdout.write('built out/main/index.js and out/preload/index.cjs\n'),
    (err: unknown) => {
      process.stderr.write(`build-electron: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
