// The PIN and choice commands as they arrive from outside the core, and what
// the view shows of a quote to choose from: options yes, the PIN never.
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import { checkCommand } from '../../../src/shared/kiosk-api';
import { viewOf } from '../../../src/kiosk/api/view';
import type { ResidentKiosk } from '../../../src/kiosk/runtime/resident-kiosk';
import { out } from '../kiosk/support/fixtures';
import { residentDriver, toConfirming } from '../kiosk/support/resident-model';

describe('checkCommand: SUBMIT_PIN and CHOOSE', () => {
  it('takes a PIN of 1-12 letters or digits, and never echoes a refused one', () => {
    expect(checkCommand({ type: 'SUBMIT_PIN', pin: '1234' })).toEqual({ ok: true, command: { type: 'SUBMIT_PIN', pin: '1234' } });
    expect(checkCommand({ type: 'SUBMIT_PIN', pin: 'abcDEF123456' })).toMatchObject({ ok: true });
    for (const pin of ['', '1234567890123', '12 4', '12;4', 1234, null, undefined]) {
      const checked = checkCommand({ type: 'SUBMIT_PIN', pin });
      expect(checked.ok).toBe(false);
      if (!checked.ok && typeof pin === 'string' && pin !== '') expect(checked.error).not.toContain(pin);
    }
  });

  it('takes 1-50 option ids of a safe shape', () => {
    expect(checkCommand({ type: 'CHOOSE', option_ids: ['fee-0', 'fee-1'] })).toEqual({ ok: true, command: { type: 'CHOOSE', option_ids: ['fee-0', 'fee-1'] } });
    expect(checkCommand({ type: 'CHOOSE', option_ids: Array.from({ length: 50 }, (_, i) => `f${i}`) })).toMatchObject({ ok: true });
    for (const option_ids of [[], Array.from({ length: 51 }, (_, i) => `f${i}`), ['ok', 7], ['<script>'], ['a b'], ['x'.repeat(41)], 'fee-0', undefined]) {
      expect(checkCommand({ type: 'CHOOSE', option_ids })).toMatchObject({ ok: false, error: expect.stringMatching(/option_ids/) });
    }
  });
});

describe('viewOf: a quote to choose from', () => {
  it('shows the options, whether several may be chosen and the screen-only params; never the PIN', async () => {
    const d = residentDriver({ quote: (input: { pin?: string }) => (input.pin === undefined ? out.quotePinRequired : out.quoteChoose) });
    await toConfirming(d);
    expect(viewOf(d.snapshot as SnapshotFrom<ResidentKiosk>, 'en')).toMatchObject({ screen: 'session.patronPin', notice: { key: 'quote.pin_required' } });
    await d.act({ type: 'SUBMIT_PIN', pin: '5731' });
    const view = viewOf(d.snapshot as SnapshotFrom<ResidentKiosk>, 'en');
    expect(view.screen).toBe('session.choosing');
    expect(view.quote).toEqual({
      kind: 'library_fine',
      amount_minor: 750,
      description_key: 'library.fines_choose',
      options: [
        { id: 'fee-0', amount_minor: 500, label_key: 'library.fine_item', label_params: { text: 'Overdue fine', amount: 500 }, preselected: true },
        { id: 'fee-1', amount_minor: 250, label_key: 'library.fine_item', label_params: { text: 'Lost card', amount: 250 }, preselected: true },
      ],
      multiple: true,
      screen_params: { patron_name: 'Sample Patron' },
    });
    expect(JSON.stringify(view)).not.toContain('5731');
  });

  it('a payable quote has no options', async () => {
    const d = residentDriver();
    await toConfirming(d);
    expect(viewOf(d.snapshot as SnapshotFrom<ResidentKiosk>, 'en').quote).toMatchObject({ options: null, multiple: false, screen_params: {} });
  });
});
