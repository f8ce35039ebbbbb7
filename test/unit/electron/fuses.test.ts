import { createRequire } from 'node:module';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { describe, expect, it, vi } from 'vitest';

// The fuse set the afterPack hook flips (checked as configuration: there is
// no Electron binary on this machine to flip them on).

const require = createRequire(import.meta.url);
const hook = require('../../../scripts/electron-fuses.cjs') as {
  (context: unknown, flip?: (path: string, config: unknown) => Promise<number>): Promise<void>;
  FUSES: Record<string, unknown>;
  electronBinaryOf(context: unknown): string;
};

describe('Electron fuses', () => {
  it('turns off running as Node, NODE_OPTIONS and --inspect; turns on asar-only loading, asar integrity and cookie encryption', () => {
    expect(hook.FUSES).toEqual({
      version: FuseVersion.V1,
      strictlyRequireAllFuses: true,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    });
  });

  it('decides every fuse this @electron/fuses knows (strict: a new fuse fails the build until decided)', () => {
    const known = Object.values(FuseV1Options).filter((v) => typeof v === 'number');
    for (const fuse of known) expect.soft(hook.FUSES[fuse], FuseV1Options[fuse as number]).toBeTypeOf('boolean');
  });

  it('flips them on the packed Linux binary named by executableName', async () => {
    const flip = vi.fn(() => Promise.resolve(0));
    const context = { appOutDir: '/build/linux-unpacked', electronPlatformName: 'linux', packager: { executableName: 'civicard-kiosk', appInfo: { productFilename: 'Civicard Kiosk' } } };
    await hook(context, flip);
    expect(flip).toHaveBeenCalledWith('/build/linux-unpacked/civicard-kiosk', hook.FUSES);
  });
});
