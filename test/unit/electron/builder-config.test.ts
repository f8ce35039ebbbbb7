import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// electron-builder.yml and the operating-system files it ships, read as
// configuration (the Electron binary needed to build the packages is not on
// this machine): the schema electron-builder itself checks, the targets, the
// native modules outside the asar, the deb's dependencies and scripts, the
// udev rules and the systemd unit.

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(config: unknown, logger: unknown): Promise<void> };
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

interface BuilderConfig {
  files: string[];
  extraResources: { from: string; to: string; filter: string[] }[];
  asar: boolean;
  asarUnpack: string[];
  afterPack: string;
  extraMetadata: { homepage: string };
  linux: { target: string[]; executableName: string; maintainer: string };
  deb: { packageName: string; depends: string[]; afterInstall: string; afterRemove: string };
}

const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;
const read = (path: string) => readFileSync(path, 'utf8');
const RULES = 'hardware/linux/udev/60-civicard.rules';
const UNIT = 'hardware/linux/systemd/civicard-kiosk.service';
const HID_POS = 'hardware/linux/udev/civicard-hid-pos';

/** The unit file as key → values (a key may repeat). */
function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  return keys;
}

/** The rules that are not comments, as lines. */
const ruleLines = () => read(RULES).split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration schema (and the check itself refuses an unknown key)", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, kioskMode: true } }, new DebugLogger(false))).rejects.toThrow(/kioskMode/);
  });

  it('builds a deb and an AppImage for Linux, with the built main, preload and renderer', () => {
    expect(config.linux.target).toEqual(['deb', 'AppImage']);
    expect(config.linux.executableName).toBe('civicard-kiosk');
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'renderer/dist/**', 'package.json']));
    expect(JSON.parse(read('package.json')).main).toBe('out/main/index.js');
    expect(config.extraMetadata.homepage).toMatch(/^https:\/\//);
    expect(config.linux.maintainer).toMatch(/<[^@\s]+@[^>\s]+>$/);
  });

  it('keeps the native modules out of the asar archive', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['**/*.node', '**/node_modules/better-sqlite3/**', '**/node_modules/@pokusew/pcsclite/**', '**/node_modules/node-hid/**', '**/node_modules/@serialport/bindings-cpp/**']),
    );
  });

  it('flips the fuses after packing, with a hook that exists', () => {
    expect(config.afterPack).toBe('scripts/electron-fuses.cjs');
    expect(typeof require(join(process.cwd(), config.afterPack))).toBe('function');
  });

  it('makes the deb depend on pcscd and the rest of what the kiosk runs with', () => {
    expect(config.deb.packageName).toBe('civicard-kiosk');
    expect(config.deb.depends).toEqual(expect.arrayContaining(['pcscd', 'libpcsclite1', 'libccid', 'espeak-ng', 'cage', 'libgtk-3-0', 'libnss3', 'libgbm1']));
  });

  it('ships the udev rules, their helper, the NFC blacklist and the unit as resources', () => {
    const linux = config.extraResources.find((r) => r.from === 'hardware/linux')!;
    expect(linux.to).toBe('linux');
    expect(linux.filter).toEqual(expect.arrayContaining(['udev/**', 'systemd/**', 'modprobe/**']));
    for (const f of [RULES, UNIT, HID_POS, 'hardware/linux/modprobe/civicard-nfc-blacklist.conf']) expect(existsSync(f), f).toBe(true);
  });

  it('installs the rules, the helper, the blacklist and the unit in the postinst and removes them in the postrm', () => {
    for (const f of [config.deb.afterInstall, config.deb.afterRemove]) {
      expect(existsSync(f), f).toBe(true);
      expect(statSync(f).mode & 0o111, `${f} is executable`).not.toBe(0);
      expect(spawnSync('bash', ['-n', f]).status, `${f} parses`).toBe(0);
    }
    const postinst = read(config.deb.afterInstall);
    expect(postinst).toContain('/usr/lib/udev/rules.d/60-civicard.rules');
    expect(postinst).toContain('/usr/lib/civicard/civicard-hid-pos');
    expect(postinst).toContain('/etc/modprobe.d/civicard-nfc-blacklist.conf');
    expect(postinst).toContain('/usr/lib/systemd/system/civicard-kiosk.service');
    expect(postinst).toMatch(/systemctl enable civicard-kiosk\.service/);
    expect(postinst).toMatch(/useradd --system .*civicard/);
    expect(postinst).toContain("update-alternatives --install '/usr/bin/${executable}'");
    const postrm = read(config.deb.afterRemove);
    for (const path of ['/usr/lib/udev/rules.d/60-civicard.rules', '/usr/lib/civicard/civicard-hid-pos', '/etc/modprobe.d/civicard-nfc-blacklist.conf', '/usr/lib/systemd/system/civicard-kiosk.service']) {
      expect.soft(postrm, path).toContain(path);
    }
    expect(postrm).toContain('systemctl disable --now civicard-kiosk.service');
    expect(postrm).not.toMatch(/rm .*\/var\/lib\/civicard/);
  });

  it('uses in the deb scripts no ${…} that electron-builder cannot fill in (it fails the build on one)', () => {
    const macros = ['executable', 'sanitizedProductName', 'productFilename'];
    for (const f of [config.deb.afterInstall, config.deb.afterRemove]) {
      const used = [...read(f).matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]!);
      expect(used.length).toBeGreaterThan(0);
      expect(used.filter((name) => !macros.includes(name)), f).toEqual([]);
    }
  });
});

describe('udev rules', () => {
  const lines = ruleLines();

  it('give the ACR122U and ACR1252 readers to the kiosk group and the seat user', () => {
    for (const product of ['2200', '223b']) {
      const rule = lines.find((l) => l.includes('ATTR{idVendor}=="072f"') && l.includes(`ATTR{idProduct}=="${product}"`));
      expect(rule, `072f:${product}`).toBeDefined();
      expect(rule).toContain('GROUP="civicard"');
      expect(rule).toContain('MODE="0660"');
      expect(rule).toContain('TAG+="uaccess"');
    }
  });

  it('give the USB receipt printers (Epson 04b8:0202, Star 0519:0001, any usblp of those vendors) to the kiosk', () => {
    expect(lines.some((l) => l.includes('"04b8"') && l.includes('"0202"') && l.includes('GROUP="civicard"'))).toBe(true);
    expect(lines.some((l) => l.includes('"0519"') && l.includes('"0001"') && l.includes('GROUP="civicard"'))).toBe(true);
    const lp = lines.find((l) => l.includes('SUBSYSTEM=="usbmisc"') && l.includes('KERNEL=="lp[0-9]*"'));
    expect(lp).toMatch(/ATTRS\{idVendor\}=="[^"]*04b8[^"]*0519/);
    expect(lp).toContain('MODE="0660"');
    expect(lp).toContain('TAG+="uaccess"');
  });

  it('give a HID POS scanner (usage page 0x8C, found by the helper) to the kiosk', () => {
    const scanner = lines.find((l) => l.includes('SUBSYSTEM=="hidraw"'));
    expect(scanner).toContain('PROGRAM=="/usr/lib/civicard/civicard-hid-pos ');
    expect(scanner).toContain('GROUP="civicard"');
    expect(scanner).toContain('TAG+="uaccess"');
  });

  it('make nothing world-writable and use only known keys', () => {
    for (const l of lines) {
      expect.soft(l, l).not.toMatch(/MODE="0?66[6-7]"|MODE="0?777"/);
      const keys = [...l.matchAll(/([A-Z]+)(?:\{[^}]*\})?\s*(?:==|!=|\+=|:=|=)/g)].map((m) => m[1]);
      for (const k of keys) expect.soft(['ACTION', 'SUBSYSTEM', 'KERNEL', 'ENV', 'ATTR', 'ATTRS', 'GROUP', 'MODE', 'TAG', 'SYMLINK', 'PROGRAM'], `${k} in ${l}`).toContain(k);
    }
  });
});

describe('the HID POS helper', () => {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-hid-pos-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const matches = (bytes: number[]) => {
    const file = join(dir, `d${bytes.join('-')}`);
    writeFileSync(file, Buffer.from(bytes));
    return spawnSync(HID_POS, [file]).status === 0;
  };

  it('finds usage page 0x8C in one- and two-byte form', () => {
    expect(matches([0x06, 0x8c, 0x00, 0x09, 0x02, 0xa1, 0x01, 0xc0])).toBe(true);
    expect(matches([0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0xc0, 0x05, 0x8c, 0x09, 0x02, 0xa1, 0x01, 0xc0])).toBe(true);
  });

  it('does not take a keyboard, a 0x8C usage or a 0x8C in another item for a scanner', () => {
    expect(matches([0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7, 0xc0])).toBe(false);
    expect(matches([0x05, 0x01, 0x09, 0x8c, 0xa1, 0x01, 0xc0])).toBe(false);
    expect(matches([0x05, 0x01, 0x26, 0x8c, 0x00, 0xc0])).toBe(false);
    expect(matches([0xfe, 0x02, 0x10, 0x05, 0x8c, 0x05, 0x01])).toBe(false);
    expect(matches([])).toBe(false);
  });

  it('fails on a missing file', () => {
    expect(spawnSync(HID_POS, [join(dir, 'none')]).status).not.toBe(0);
    expect(execFileSync('sh', ['-n', HID_POS]).toString()).toBe('');
  });
});

describe('the systemd unit', () => {
  const unit = unitKeys(read(UNIT));
  const one = (key: string) => unit.get(key)?.join(' ') ?? '';

  it('restarts the kiosk always, after a short pause, and never gives up', () => {
    expect(one('Restart')).toBe('always');
    expect(Number(one('RestartSec'))).toBeGreaterThan(0);
    expect(Number(one('RestartSec'))).toBeLessThanOrEqual(10);
    expect(one('StartLimitIntervalSec')).toBe('0');
  });

  it('starts after pcscd and wants it', () => {
    expect(one('After')).toMatch(/\bpcscd\.service\b/);
    expect(one('Wants')).toMatch(/\bpcscd\.service\b/);
    expect(one('WantedBy')).toBe('graphical.target');
  });

  it('runs the installed app under the cage kiosk compositor, as the civicard account, on tty1', () => {
    expect(one('ExecStart')).toMatch(/^\/usr\/bin\/cage (-d )?-- \/usr\/bin\/civicard-kiosk\b/);
    expect(one('ExecStart')).not.toMatch(/cage[^-]*-s/);
    expect(one('User')).toBe('civicard');
    expect(one('PAMName')).toBeTruthy();
    expect(one('TTYPath')).toBe('/dev/tty1');
    expect(one('Conflicts')).toBe('getty@tty1.service');
  });

  it('is hardened, without the options that would take away the display or the JIT', () => {
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('ProtectKernelModules')).toBe('yes');
    for (const key of ['PrivateDevices', 'MemoryDenyWriteExecute', 'RestrictNamespaces', 'PrivateUsers']) expect.soft(unit.has(key), key).toBe(false);
  });
});
