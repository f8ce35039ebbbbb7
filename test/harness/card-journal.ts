// The card's own account of what happened, for the recovery harness's end
// check: every committed change of the simulated card appends its newest
// history record to DIR/journal.ndjson (fsynced) right after the card state is
// saved. Both happen inside the card's commit, synchronously, so a SIGKILL of
// the kiosk process can never separate them.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { CIVICARD_AID, decodeRecord, HISTORY_FILE } from '../../src/card/layout';
import { DesfireSim, loadCardState, saveCardStateAtomic, type CardState } from '../../hardware/sim/desfire';
import type { JournalLine } from './recovery-plan';

const APP = CIVICARD_AID.toString('hex').toUpperCase();

/** The newest history record and the Transaction MAC counter, or null before personalization. */
function newestCommit(state: CardState): { key: string; line: JournalLine } | null {
  const app = state.applications[APP];
  const history = app?.files[String(HISTORY_FILE.fileNo)];
  const tmac = Object.values(app?.files ?? {}).find((f) => f.type === 'transactionMac');
  if (!history || history.type !== 'cyclicRecord' || history.recordsHex.length === 0) return null;
  const newestHex = history.recordsHex.at(-1)!;
  // Layout 1 records carry the whole tx id, layout 2 only its tag: take either.
  const record = decodeRecord(Buffer.from(newestHex, 'hex')) as { kind: JournalLine['kind']; amount_minor: number; balance_after_minor: number; tx_tag?: string; tx_id?: string } | null;
  if (!record) return null;
  const tx_tag = record.tx_tag ?? (record.tx_id ? txTag(record.tx_id) : null);
  if (!tx_tag) return null;
  const tmc = tmac?.type === 'transactionMac' ? tmac.tmc : 0;
  return { key: `${tmc}:${newestHex}`, line: { tx_tag, kind: record.kind, amount_minor: record.amount_minor, balance_after_minor: record.balance_after_minor } };
}

/** What the card keeps of a tx id: the UUIDv7's bytes after its 6-byte timestamp, hex (src/card/layout.ts). */
export function txTag(tx_id: string): string {
  return tx_id.replace(/-/g, '').slice(12).toLowerCase();
}

export function readJournal(path: string): JournalLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine);
}

/**
 * The harness card: its state in `statePath`, every new commit journaled. A
 * commit is new when the card's counter or newest record changed since the
 * last line (the card also persists changes that are not commits); a tx id
 * committed twice would show up twice, which the end check refuses.
 */
export function journaledCard(statePath: string, journalPath: string, state: CardState = loadCardState(statePath)): DesfireSim {
  let last = newestCommit(state)?.key ?? null;
  return new DesfireSim({
    state,
    onPersist: (s) => {
      saveCardStateAtomic(statePath, s);
      const commit = newestCommit(s);
      if (!commit || commit.key === last) return;
      last = commit.key;
      const fd = openSync(journalPath, 'a', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(commit.line)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  });
}
