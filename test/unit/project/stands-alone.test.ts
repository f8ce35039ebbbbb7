import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// A fresh clone with nothing beside it must build, test and read whole: no file
// of the application, its tests, scripts or README may reach outside the
// repository, and every link in the README and docs/ must land on a file here.

const ROOT = resolve(process.cwd());
const SCANNED = ['src', 'test', 'hardware', 'scripts', '.ci', 'README.md'];
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'demo-out']);
const TEXT = /\.(ts|tsx|mts|cts|js|mjs|cjs|json|md|sh|yml|yaml|txt|rules|service|conf|html|css)$|(^|\/)[^./]+$/;
// Built so that this file does not name the paths it forbids.
const DOTS = '.' + '.';
const UP = `${DOTS}/`;
const OUTSIDE_MACHINE_PATH = '/work' + '/shared';

function filesUnder(path: string): string[] {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [path];
  return readdirSync(full, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : filesUnder(join(path, e.name));
    return e.isFile() && TEXT.test(e.name) ? [join(path, e.name)] : [];
  });
}

const inside = (abs: string) => abs === ROOT || abs.startsWith(ROOT + sep);
const MODULE_SUFFIXES = ['', '.ts', '.js', '.json', '/index.ts', '/index.js'];
const existsAsModule = (abs: string) => MODULE_SUFFIXES.some((s) => existsSync(abs + s));

/** Relative paths that climb: written whole, or as a list of quoted segments starting with the parent. */
function upwardPaths(text: string): string[] {
  const literal = new RegExp(`(?<![\\w./-])((?:\\.\\./)+[^\\s'"\`)\\]>,;:$]*)`, 'g');
  const segments = /(['"])\.\.\1(?:\s*,\s*(['"])[^'"\n]*\2)*/g;
  const found = [...text.matchAll(literal)].map((m) => m[1] ?? '');
  for (const m of text.matchAll(segments)) found.push([...m[0].matchAll(/(['"])([^'"\n]*)\1/g)].map((s) => s[2]).join('/'));
  return found;
}

/**
 * Why a relative path written in `file` reaches outside the repository, or null.
 * It may be read from the file's folder (imports, new URL) or from the repository
 * root (process.cwd()): it is outside when it leaves the repository from its
 * own folder, or names nothing there and leaves the repository from the root.
 */
function outsideReason(file: string, path: string): string | null {
  const fromFile = resolve(ROOT, dirname(file), path);
  if (!inside(fromFile)) return `${path} leaves the repository from ${dirname(file)}`;
  if (existsAsModule(fromFile)) return null;
  if (!inside(resolve(ROOT, path))) return `${path} leaves the repository from its root`;
  return null;
}

/** A module specifier is read from the importing file's folder only. */
function moduleOutside(file: string, specifier: string): string | null {
  return inside(resolve(ROOT, dirname(file), specifier)) ? null : `import ${specifier} leaves the repository from ${dirname(file)}`;
}

function outsideReferences(file: string, text: string): string[] {
  const specifiers = new Set([...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g)].map((m) => m[2]));
  const reasons = upwardPaths(text).map((p) => (specifiers.has(p) ? moduleOutside(file, p) : outsideReason(file, p)));
  if (text.includes(OUTSIDE_MACHINE_PATH)) reasons.push(`names ${OUTSIDE_MACHINE_PATH}`);
  return reasons.filter((r): r is string => r !== null).map((r) => `${file}: ${r}`);
}

/** Targets of Markdown links that are not web addresses or in-page anchors. */
function relativeLinks(markdown: string): string[] {
  const inline = [...markdown.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
  const reference = [...markdown.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1] ?? '');
  return [...inline, ...reference].filter((t) => !/^([a-z][a-z0-9+.-]*:|#)/i.test(t)).map((t) => decodeURIComponent(t.split('#')[0] ?? ''));
}

function brokenLinks(file: string): string[] {
  return brokenLinksIn(file, readFileSync(join(ROOT, file), 'utf8'));
}

function brokenLinksIn(file: string, markdown: string): string[] {
  return relativeLinks(markdown)
    .filter((target) => {
      const abs = isAbsolute(target) ? target : resolve(ROOT, dirname(file), target);
      return !inside(abs) || !existsSync(abs);
    })
    .map((target) => `${file} → ${target}`);
}

/** Repository paths a document names in backticks (`src/card/layout.ts`, `test/fixtures/`). */
function namedRepoPaths(markdown: string): string[] {
  return [...markdown.matchAll(/`((?:src|test|hardware|scripts|docs|renderer|bin)\/[\w./-]*)`/g)].map((m) => m[1] ?? '').filter((p) => p.endsWith('/') || /\.\w+$/.test(p));
}

const docs = () => (existsSync(join(ROOT, 'docs')) ? readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f)) : []);

describe('the repository stands alone', () => {
  it('finds an outside reference in each form it is written (the check itself)', () => {
    expect(outsideReferences('test/integration/x.test.ts', `join(process.cwd(), '${UP}shared/vectors/ev2-public.json')`)).toHaveLength(1);
    expect(outsideReferences('test/unit/card/x.test.ts', `new URL('${UP}${UP}${UP}${UP}shared/vectors/ev2-public.json', import.meta.url)`)).toHaveLength(1);
    expect(outsideReferences('README.md', `Read \`${UP}shared/DESIGN.md\` first`)).toHaveLength(1);
    expect(outsideReferences('scripts/x.ts', `resolve(__dirname, '${DOTS}', '${DOTS}', 'shared', 'vectors')`)).toHaveLength(1);
    expect(outsideReferences('test/unit/x.test.ts', `import { x } from '${UP}${UP}${UP}${UP}shared/x';`)).toHaveLength(1);
    expect(outsideReferences('scripts/x.sh', `cat ${OUTSIDE_MACHINE_PATH}/vectors/README.md`)).toHaveLength(1);
    expect(outsideReferences('hardware/sim/desfire/commands/x.ts', `import { STATUS } from '${UP}${UP}${UP}${UP}src/card/status';`)).toEqual([]);
    expect(outsideReferences('test/unit/card/x.test.ts', `new URL('${UP}${UP}fixtures/vectors/ev2-public.json', import.meta.url)`)).toEqual([]);
  });

  it('no file in src, test, hardware, scripts, .ci or the README reaches outside the repository', () => {
    const files = SCANNED.flatMap(filesUnder);
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((f) => outsideReferences(f, readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });

  it('finds a broken or outside link (the check itself)', () => {
    expect(relativeLinks(`[a](docs/ledger.md) [b](https://example.org) [c](#money) [d](${UP}x.md#top)\n[e]: docs/recovery.md`)).toEqual(['docs/ledger.md', `${UP}x.md`, 'docs/recovery.md']);
    expect(brokenLinksIn('README.md', `[d](${UP}x.md) [f](docs/none.md) [g](test/fixtures/vectors/README.md)`)).toEqual([`README.md → ${UP}x.md`, 'README.md → docs/none.md']);
  });

  it('every relative link in the README, docs/ and test fixtures lands on a file in the repository', () => {
    const markdown = ['README.md', ...docs(), ...filesUnder('test/fixtures').filter((f) => f.endsWith('.md'))];
    expect(docs().length).toBeGreaterThanOrEqual(4);
    expect(markdown.flatMap(brokenLinks)).toEqual([]);
  });

  it('every repository path docs/ names exists', () => {
    const missing = docs().flatMap((doc) => namedRepoPaths(readFileSync(join(ROOT, doc), 'utf8')).filter((p) => !existsSync(join(ROOT, p))).map((p) => `${doc}: ${p}`));
    expect(missing).toEqual([]);
  });

  it('keeps the known-answer vectors the tests use inside the repository', () => {
    const vectors = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/vectors/ev2-public.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(vectors)).toEqual(expect.arrayContaining(['cmac', 'diversify', 'full_cmd', 'full_resp']));
    expect(existsSync(join(ROOT, 'test/fixtures/vectors/README.md'))).toBe(true);
  });
});
