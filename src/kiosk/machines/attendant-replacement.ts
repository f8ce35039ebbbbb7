// Attendant machine, a lost card's replacement (docs/lost-card.md): the
// attendant types the code the administrator gave the resident, the station
// asks the back office what it authorises (it must be online: refused clearly
// otherwise, and nothing moves), then the new card is tapped and credited
// exactly the authorised amount through the card transaction of top-ups
// (attendant-txn.ts). Not the lost card itself, not beyond the purse limit.
import { attendantSetup } from './attendant-setup';
import { never } from './invariant';
import { notice, type MessageKey } from './messages';
import type { FetchReplacementResult } from './contracts';
import { timed } from './timed';

const MENU = '#attendant.signedIn.menu';

const REFUSAL_NOTICE: Record<Exclude<FetchReplacementResult, { ok: true }>['error'], MessageKey> = {
  offline: 'replacement.offline',
  unknown_code: 'replacement.unknown_code',
  already_used: 'replacement.already_used',
  refused: 'replacement.refused',
};

const readFailed = { target: 'waitingForCard', actions: { type: 'showNotice', params: notice('card.unreadable') } } as const;

export const replacementState = attendantSetup.createStateConfig({
  initial: 'enteringCode',
  on: {
    CANCEL: MENU,
    CARD_REMOVED: { target: '.waitingForCard', actions: { type: 'showNotice', params: notice('card.removed') }, guard: ({ context }) => context.replacement !== null },
  },
  states: {
    enteringCode: { ...timed(MENU), on: { CODE_ENTERED: { target: 'fetching', actions: 'clearNotice' } } },
    fetching: {
      invoke: {
        id: 'fetchReplacement',
        src: 'fetchReplacement',
        input: ({ event }) => ({ code: event.type === 'CODE_ENTERED' ? event.code : never() }),
        onDone: [
          {
            guard: { type: 'replacementRefused', params: ({ event }) => event.output },
            target: 'enteringCode',
            actions: { type: 'showNotice', params: ({ event }) => notice(event.output.ok ? never() : REFUSAL_NOTICE[event.output.error]) },
          },
          {
            target: 'waitingForCard',
            actions: { type: 'storeReplacement', params: ({ event }) => (event.output.ok ? event.output.value : never()) },
          },
        ],
        onError: { target: 'enteringCode', actions: { type: 'showNotice', params: notice('replacement.offline') } },
      },
    },
    waitingForCard: { ...timed(MENU), on: { CARD_PRESENTED: { target: 'reading', actions: 'clearNotice' } } },
    reading: {
      invoke: {
        id: 'readReplacementCard',
        src: 'readCard',
        input: { purpose: 'replacement' },
        onDone: [
          { guard: { type: 'cardUnusable', params: ({ event }) => event.output }, target: 'refused', actions: { type: 'showNotice', params: notice('topup.card_refused') } },
          { guard: { type: 'theLostCard', params: ({ event }) => event.output }, target: 'waitingForCard', actions: { type: 'showNotice', params: notice('replacement.same_card') } },
          { guard: { type: 'replacementOverLimit', params: ({ event }) => event.output }, target: 'refused', actions: { type: 'showNotice', params: notice('replacement.over_limit') } },
          {
            guard: { type: 'succeeded', params: ({ event }) => event.output },
            target: 'confirming',
            actions: { type: 'storeCard', params: ({ event }) => (event.output.ok ? event.output.value : never()) },
          },
          readFailed,
        ],
        onError: readFailed,
      },
    },
    refused: { ...timed(MENU), on: { ACK: MENU } },
    confirming: { ...timed(MENU), on: { CONFIRM: '#attendant.signedIn.cardTxn' } },
  },
});
