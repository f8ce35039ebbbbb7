// electron-builder `afterPack` hook: flips the Electron fuses of the packed
// binary before it goes into the deb and the AppImage. Fuses are bits in the
// binary itself, so no flag or environment variable can turn them back on.
//   RunAsNode off                        ELECTRON_RUN_AS_NODE cannot make the kiosk a plain Node
//   EnableNodeOptionsEnvironmentVariable off   NODE_OPTIONS cannot inject code
//   EnableNodeCliInspectArguments off    --inspect cannot attach a debugger
//   OnlyLoadAppFromAsar on               the app loads only from resources/app.asar
//   EnableEmbeddedAsarIntegrityValidation on   the asar header hash is checked (macOS/Windows only: Electron does not check it on Linux yet)
//   EnableCookieEncryption on            cookies encrypted at rest
//   LoadBrowserProcessSpecificV8Snapshot off, GrantFileProtocolExtraPrivileges off   (no file:// app, no custom snapshot)
// strictlyRequireAllFuses: a fuse added by a later Electron fails the build until it is decided here.
const path = require('node:path');
const { flipFuses, FuseV1Options, FuseVersion } = require('@electron/fuses');

const FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** The packed Electron binary of an afterPack context (Linux: <appOutDir>/<executableName>). */
function electronBinaryOf(context) {
  const name = context.packager.executableName;
  if (context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas') return path.join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`);
  if (context.electronPlatformName === 'win32') return path.join(context.appOutDir, `${name}.exe`);
  return path.join(context.appOutDir, name);
}

async function afterPack(context, flip = flipFuses) {
  await flip(electronBinaryOf(context), FUSES);
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.FUSES = FUSES;
module.exports.electronBinaryOf = electronBinaryOf;
