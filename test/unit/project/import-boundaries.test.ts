import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rules that keep process boundaries honest, proven on sample code.
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImportErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('folder import boundaries', () => {
  it('refuses Node built-ins in the renderer', async () => {
    expect(await restrictedImportErrors('renderer/app.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(1);
    expect(await restrictedImportErrors('renderer/app.ts', "import path from 'path';\nexport const x = path;\n")).toHaveLength(1);
  });

  it('refuses kiosk internals in the renderer', async () => {
    expect(await restrictedImportErrors('renderer/app.ts', "import { Purse } from '../src/card/purse';\nexport const x = Purse;\n")).toHaveLength(1);
  });

  it('refuses electron outside src/electron', async () => {
    expect(await restrictedImportErrors('src/card/purse.ts', "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
    expect(await restrictedImportErrors('hardware/pcsc/x.ts', "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
  });

  it('allows electron in src/electron', async () => {
    expect(await restrictedImportErrors('src/electron/main.ts', "import { app } from 'electron';\nexport const x = app;\n")).toEqual([]);
  });
});
