import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository's own folders, for commands that run from a checkout (the
// web shell, `civicard start`): one place knows that this file sits in
// src/shared, so no module counts '..' from its own depth. Not for code the
// Electron build bundles into out/, where module paths are not these.

/** The folder holding package.json, src/ and renderer/. */
export const REPO_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

export const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts);
