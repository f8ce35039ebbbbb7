import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { openBackOfficeDb, type BackOfficeDialect, type BackOfficeStore } from '../../src/backoffice/db/connect';
import { startPostgres, type TestPostgres } from './postgres';

// Runs a back-office test file against both stores: SQLite in memory, and a
// real PostgreSQL (one server per file, a fresh database per test).

export interface StoreContext {
  readonly dialect: BackOfficeDialect;
  /** The current test's store, migrated and empty. */
  readonly store: BackOfficeStore;
  /** A URL for another empty store of this dialect (not migrated, not closed for you). */
  freshUrl(): Promise<string>;
}

export function forEachStore(name: string, fn: (t: StoreContext) => void): void {
  describe.each(['sqlite', 'postgres'] as const)(`${name} (%s)`, (dialect) => {
    let server: TestPostgres | undefined;
    let current: BackOfficeStore | undefined;
    const ctx: StoreContext = {
      dialect,
      get store() {
        if (current === undefined) throw new Error('the store is opened in beforeEach');
        return current;
      },
      freshUrl: async () => (dialect === 'sqlite' ? 'sqlite::memory:' : server!.createDatabase()),
    };
    beforeAll(async () => {
      if (dialect === 'postgres') server = await startPostgres();
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });
    beforeEach(async () => {
      current = await openBackOfficeDb(await ctx.freshUrl());
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    fn(ctx);
  });
}
