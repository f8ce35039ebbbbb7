import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

  it('refuses the kiosk, the CLI and the back office in the ledger', async () => {
    expect(await restrictedImportErrors('src/ledger/ledger.ts', "import type { PaymentTx } from '../kiosk/machines/contracts';\nexport type X = PaymentTx;\n")).toHaveLength(1);
    expect(await restrictedImportErrors('src/ledger/ledger.ts', "import { x } from '../cli/commands/ledger';\nexport const y = x;\n")).toHaveLength(1);
    expect(await restrictedImportErrors('src/ledger/verify.ts', "import { x } from '../backoffice/db/schema';\nexport const y = x;\n")).toHaveLength(1);
    expect(await restrictedImportErrors('src/ledger/ledger.ts', "import { newEntryId } from '../shared/ids';\nexport const y = newEntryId;\n")).toEqual([]);
  });

  it('src/ledger imports nothing from src/kiosk, src/cli or src/backoffice (read from the files)', () => {
    const forbidden = ['kiosk', 'cli', 'backoffice'].map((d) => resolve('src', d));
    const offending = readdirSync('src/ledger', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => {
        const file = join('src/ledger', f);
        const specifiers = [...readFileSync(file, 'utf8').matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
        return specifiers.filter((s) => s.startsWith('.')).filter((s) => forbidden.some((d) => (resolve(dirname(file), s) + '/').startsWith(d + '/'))).map((s) => `${file}: ${s}`);
      });
    expect(offending).toEqual([]);
  });

  it('refuses electron outside src/electron', async () => {
    expect(await restrictedImportErrors('src/card/purse.ts', "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
    expect(await restrictedImportErrors('hardware/pcsc/x.ts', "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
  });

  it('allows electron in src/electron', async () => {
    expect(await restrictedImportErrors('src/electron/main.ts', "import { app } from 'electron';\nexport const x = app;\n")).toEqual([]);
  });
});
