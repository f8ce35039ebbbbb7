import { checkSpeakRequest, type SpeakRequest } from '../../shared/speech-api';
import type { Route } from './api-routes';
import { readJsonBody, send } from './doors';

//   POST /api/speak   a SpeakRequest: the kiosk says it on its sound card (espeak-ng, runtime/speech.ts)

export interface SpeakerPort {
  say(request: SpeakRequest): Promise<void>;
}

/** `speaker` null: this kiosk has no voice (switched off, or espeak-ng missing), and says so. */
export function speakRoute(speaker: SpeakerPort | null): Route {
  return async (req, res) => {
    const body = await readJsonBody(req, res);
    if (!body) return;
    const checked = checkSpeakRequest(body.value);
    if (!checked.ok) return send(res, 400, { error: checked.error });
    if (!speaker) return send(res, 409, { error: 'spoken guidance is switched off on this kiosk' });
    try {
      await speaker.say(checked.request);
    } catch (e) {
      return send(res, 503, { error: e instanceof Error ? e.message : 'the kiosk could not speak' });
    }
    return send(res, 200, { spoken: true });
  };
}
