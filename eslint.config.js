import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Process boundaries, kept mechanically (as Signal-Desktop does):
// - only src/electron may import `electron`;
// - the renderer imports no Node built-ins (it runs in a sandboxed page) and no
//   kiosk internals: it talks to the typed contract in src/shared only;
// - the ledger (entry format, append, verification) stands without the kiosk, so
//   the back office verifies entries with the same code: it imports nothing from
//   src/kiosk, src/cli or src/backoffice.
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'renderer/dist/', '.tmp/', 'demo-out/', 'bench-out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src/electron may import electron.' }] }],
    },
  },
  {
    // the shell, and its unit tests (which replace electron with a fake)
    files: ['src/electron/**', 'test/unit/electron/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/ledger/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Only src/electron may import electron.' }],
          patterns: [
            {
              group: ['**/kiosk', '**/kiosk/**', '**/cli', '**/cli/**', '**/backoffice', '**/backoffice/**'],
              message: 'The ledger stands alone (the back office uses it without the kiosk): map kiosk types to entries in src/kiosk/runtime.',
            },
          ],
        },
      ],
    },
  },
  {
    // CommonJS build hooks (electron-builder loads them with require)
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks to the preload contract, never to electron.' },
            ...nodeBuiltins.map((name) => ({ name, message: 'The renderer runs in a sandboxed page: no Node built-ins.' })),
          ],
          patterns: [
            { group: ['**/src/card/**', '**/src/ledger/**', '**/src/kiosk/**', '**/hardware/**'], message: 'The renderer uses only the typed contract in src/shared.' },
          ],
        },
      ],
    },
  },
);
