import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, repoPath } from '../shared/repo-paths';

// The web shell serves renderer/dist; a fresh clone or a changed source means
// building it first (vite, a few seconds), so `npm start` never shows a stale UI.

const RENDERER = repoPath('renderer');
const SHARED = repoPath('src', 'shared');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'dist' || name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** True when renderer/dist is missing or older than a source (the renderer's or the shared contracts it imports). */
export function rendererNeedsBuild(): boolean {
  const index = join(RENDERER, 'dist', 'index.html');
  if (!existsSync(index)) return true;
  return Math.max(newestMtime(RENDERER), newestMtime(SHARED)) > statSync(index).mtimeMs;
}

/** Builds the renderer when it needs it; throws with vite's output when the build fails. */
export function ensureRendererBuilt(onNote: (line: string) => void = () => {}): void {
  if (!rendererNeedsBuild()) return;
  onNote('building the kiosk UI (npm run build:renderer)…');
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const run = spawnSync(process.execPath, [vite, 'build', 'renderer', '--logLevel', 'warn'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the kiosk UI did not build (npm run build:renderer):\n${run.stdout}${run.stderr}`);
}
