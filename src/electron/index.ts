import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import { startKioskCore, stationRoutes, wantsSimulation } from './core';
import { runKioskShell, wantedStations } from './main';
import { espeakSpeaker } from './speech';

// The entry built to out/main/index.js (scripts/build-electron.ts); the preload sits beside it in out/preload/.
const here = dirname(fileURLToPath(import.meta.url));

// The packaged app carries the bundled simulators' data files (electron-builder.yml).
const fixtures_dir = join(app.getAppPath(), 'test', 'fixtures');

// A wrong station setting is reported like any other start failure (below), not thrown at load.
Promise.resolve()
  .then(() =>
    runKioskShell({
      stations: wantedStations(process.argv, process.env),
      startCore: (opts) => startKioskCore({ ...opts, fixtures_dir }),
      sim: wantsSimulation(process.argv, process.env),
      preload: join(dirname(here), 'preload', 'index.cjs'),
      renderer_root: join(app.getAppPath(), 'renderer', 'dist'),
      speaker: espeakSpeaker(),
      extra_routes: stationRoutes,
    }),
  )
  .catch((err: unknown) => {
    process.stderr.write(`civicard-kiosk: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    app.exit(1);
  });
