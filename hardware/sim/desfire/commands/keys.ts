import { macEquals } from '../../../../src/card/ev2/session';
import { STATUS } from '../../../../src/card/status';
import { jamCrc32, u32le } from '../bytes';
import type { KeyState } from '../state';
import { changed, refuse, requireMasterKey, type NativeCommandHandler } from './context';

// ChangeKey (C4), Full mode, header KeyNo. Only the master key (K0 of the
// application, or the PICC master key at card level) may change keys.
//   another key:  plain = (NewKey ⊕ OldKey) ‖ KeyVer ‖ JAMCRC32(NewKey) (LE)
//   its own key:  plain = NewKey ‖ KeyVer; the card answers a plain OK and ends the session.

const KEY_BYTES = 16;

export const changeKey: NativeCommandHandler = {
  name: 'ChangeKey',
  writes: true,
  plan(ctx) {
    if (ctx.app) {
      const app = requireMasterKey(ctx);
      if (typeof app === 'number') return app;
    } else if (ctx.authKeyNo === null) {
      return STATUS.AUTHENTICATION_ERROR;
    }
    return { mode: 'full', headerBytes: 1 };
  },
  run(ctx, { header, payload }) {
    const keyNo = header[0]!;
    let slot: KeyState | undefined;
    if (ctx.app) slot = ctx.app.keys[keyNo];
    else if ((keyNo & 0x3f) === 0) slot = ctx.state.piccKey; // top bits: key type of the PICC master key
    if (!slot) return refuse(STATUS.NO_SUCH_KEY);
    const ownKey = ctx.app ? keyNo === ctx.authKeyNo : true;

    if (ownKey) {
      if (payload.length !== KEY_BYTES + 1) return refuse(STATUS.LENGTH_ERROR);
      slot.keyHex = payload.subarray(0, KEY_BYTES).toString('hex').toUpperCase();
      slot.version = payload[KEY_BYTES]!;
      return { ...changed(), endsSession: true };
    }

    if (payload.length !== KEY_BYTES + 1 + 4) return refuse(STATUS.LENGTH_ERROR);
    const oldKey = Buffer.from(slot.keyHex, 'hex');
    const newKey = Buffer.alloc(KEY_BYTES);
    for (let i = 0; i < KEY_BYTES; i++) newKey[i] = payload[i]! ^ oldKey[i]!;
    if (!macEquals(payload.subarray(KEY_BYTES + 1), u32le(jamCrc32(newKey)))) return refuse(STATUS.INTEGRITY_ERROR);
    slot.keyHex = newKey.toString('hex').toUpperCase();
    slot.version = payload[KEY_BYTES]!;
    return changed();
  },
};
