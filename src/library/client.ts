import { currencyDigits, type Minor } from '../shared/money';
import { sipDate } from './fields';
import { decodeFrame, encodeFrame, type Terminator } from './frame';
import { Link, type TlsOptions } from './link';
import { decodeMessage, describeDecodeError, encodeMessage, type MessageCode, type SipMessage } from './messages';
import { formatSipAmount } from './money';
import { interpretFines, type IlsProfile, type PatronFines } from './profiles';
import { endPatronSessionRequest, feePaidRequest, loginRequest, patronInformationRequest, requestAcsResend, scStatusRequest } from './requests';
import { readAcsStatus, readEndSessionResponse, readFeePaidResponse, readLoginResponse, readPatronFines, type AcsStatus } from './responses';

// A kiosk's SIP2 client: one connection, reused, opened (and logged in) again
// after the ILS restarts. SIP2 is lock-step, so requests are queued and sent
// one at a time. A garbled or missing answer is asked for again with 97 on the
// same connection; a 96 from the ILS makes us send the request again. A
// request that may not be repeated blindly (Fee Paid) is never sent twice by
// this client: when its answer is lost with the connection, the outcome is
// `unacknowledged` and the caller retries later with the same transaction id.
// Nothing here logs; errors name what failed, never a patron's data.

export interface Sip2ClientOptions {
  host: string;
  port: number;
  institution_id: string;
  profile: IlsProfile;
  /** The kiosk's currency; an ILS that sends no BH is taken to use it. */
  currency: string;
  login?: { user_id: string; password: string; location_code?: string };
  terminal_password?: string;
  tls?: TlsOptions;
  /** AY/AZ on our messages, and required on the ILS's answers. Default on. */
  error_detection?: boolean;
  terminator?: Terminator;
  timeout_ms?: number;
  connect_timeout_ms?: number;
  /** Resends (97) per request, and connection attempts per request. Default 2. */
  retries?: number;
  now?: () => Date;
}

export type Sip2ErrorKind = 'unreachable' | 'tls' | 'no_answer' | 'login_refused' | 'protocol' | 'closed';

export class Sip2Error extends Error {
  override name = 'Sip2Error';
  constructor(
    readonly kind: Sip2ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** `screen_name`: the patron's name as the ILS gave it, for the resident's screen only. */
export type PatronFinesResult =
  | { status: 'found'; fines: PatronFines; pin: 'valid' | 'not_checked'; screen_name: string | null }
  | { status: 'wrong_pin' }
  /** No PIN was sent and the ILS answered that the patron password is not valid (CQ N). */
  | { status: 'pin_required' }
  | { status: 'unknown_patron' };

export interface FeePaidCall {
  patron_id: string;
  pin?: string;
  amount_minor: Minor;
  currency: string;
  /** Our transaction id, the same on every retry (BK). */
  transaction_id: string;
  /** The ILS's fee id (CG), when paying one fee; absent to pay towards the total. */
  fee_id?: string;
}

export type FeePaidOutcome =
  | { status: 'accepted'; transaction_id: string }
  | { status: 'refused'; transaction_id: string }
  /** The request may have reached the ILS; retry later with the same transaction id. */
  | { status: 'unacknowledged'; transaction_id: string; reason: 'no_answer' | 'connection_lost' }
  /** Nothing was sent (no connection, TLS or login failed): certainly not posted. */
  | { status: 'not_sent'; transaction_id: string; reason: 'unreachable' | 'tls' | 'login_refused' };

type Exchange = { ok: true; message: SipMessage } | { ok: false; reason: 'no_answer' | 'connection_lost'; written: boolean };

const RESPONSE_TO: Partial<Record<MessageCode, MessageCode>> = { '93': '94', '99': '98', '63': '64', '37': '38', '35': '36' };

export class Sip2Client {
  private link: Link | null = null;
  private sequence = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closedByUser = false;
  private readonly detection: boolean;
  private readonly timeout_ms: number;
  private readonly retries: number;

  constructor(private readonly options: Sip2ClientOptions) {
    this.detection = options.error_detection ?? true;
    this.timeout_ms = options.timeout_ms ?? 5000;
    this.retries = options.retries ?? 2;
  }

  /** SC Status → ACS Status. */
  status(): Promise<AcsStatus> {
    return this.serial(async () => readAcsStatus(await this.request(scStatusRequest())));
  }

  /** Patron Information with fine items, read through the ILS profile. */
  patronFines(patron_id: string, opts: { pin?: string } = {}): Promise<PatronFinesResult> {
    return this.serial(async () => {
      const answer = await this.request(
        patronInformationRequest({
          transaction_date: this.date(),
          institution_id: this.options.institution_id,
          patron_identifier: patron_id,
          terminal_password: this.options.terminal_password,
          patron_password: opts.pin,
        }),
      );
      const view = this.read(() => readPatronFines(answer));
      if (!view.valid_patron) return { status: 'unknown_patron' };
      if (opts.pin !== undefined && view.valid_patron_password !== true) return { status: 'wrong_pin' };
      if (opts.pin === undefined && view.valid_patron_password === false) return { status: 'pin_required' };
      const fines = this.read(() => interpretFines(view, this.options.profile, this.options.currency));
      return { status: 'found', fines, pin: opts.pin === undefined ? 'not_checked' : 'valid', screen_name: view.personal_name };
    });
  }

  /** Fee Paid (37) → accepted or refused (38), or unacknowledged when the answer never came. */
  feePaid(call: FeePaidCall): Promise<FeePaidOutcome> {
    return this.serial(async (): Promise<FeePaidOutcome> => {
      const message = feePaidRequest({
        transaction_date: this.date(),
        institution_id: this.options.institution_id,
        patron_identifier: call.patron_id,
        patron_password: call.pin,
        terminal_password: this.options.terminal_password,
        fee_amount: formatSipAmount(call.amount_minor, currencyDigits(call.currency)),
        currency_type: call.currency,
        fee_identifier: call.fee_id,
        transaction_id: call.transaction_id,
      });
      let result: Exchange;
      try {
        result = await this.send(message, { repeatable: false });
      } catch (e) {
        if (e instanceof Sip2Error && (e.kind === 'unreachable' || e.kind === 'tls' || e.kind === 'login_refused')) return { status: 'not_sent', transaction_id: call.transaction_id, reason: e.kind };
        throw e;
      }
      if (!result.ok) return { status: 'unacknowledged', transaction_id: call.transaction_id, reason: result.reason };
      const answer = this.read(() => readFeePaidResponse(result.message));
      if (answer.transaction_id !== null && answer.transaction_id !== call.transaction_id) throw new Sip2Error('protocol', 'Fee Paid Response names another transaction id (BK)');
      return { status: answer.accepted ? 'accepted' : 'refused', transaction_id: call.transaction_id };
    });
  }

  endSession(patron_id: string): Promise<{ ended: boolean }> {
    return this.serial(async () =>
      readEndSessionResponse(
        await this.request(endPatronSessionRequest({ transaction_date: this.date(), institution_id: this.options.institution_id, patron_identifier: patron_id, terminal_password: this.options.terminal_password })),
      ),
    );
  }

  close(): void {
    this.closedByUser = true;
    this.link?.close();
    this.link = null;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A request that may be sent again (on a new connection) when its answer is lost. */
  private async request(message: SipMessage): Promise<SipMessage> {
    const result = await this.send(message, { repeatable: true });
    if (result.ok) return result.message;
    throw new Sip2Error('no_answer', `no answer from the ILS to ${message.code} after ${this.retries + 1} attempts`);
  }

  private async send(message: SipMessage, opts: { repeatable: boolean }): Promise<Exchange> {
    if (this.closedByUser) throw new Sip2Error('closed', 'the SIP2 client is closed');
    let last: Exchange = { ok: false, reason: 'no_answer', written: false };
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const link = await this.connected();
      last = await this.exchange(link, message);
      if (last.ok || (last.written && !opts.repeatable)) return last;
      link.close();
      if (this.link === link) this.link = null;
    }
    return last;
  }

  private async connected(): Promise<Link> {
    if (this.link?.alive) return this.link;
    this.link = null;
    let failure: Sip2ErrorKind = 'unreachable';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
      const link = await Link.connect(this.options.host, this.options.port, this.options.tls, this.options.connect_timeout_ms ?? this.timeout_ms);
      if (!(link instanceof Link)) {
        failure = link.kind === 'tls' ? 'tls' : 'unreachable';
        if (failure === 'tls') break; // a certificate does not get better by asking again
        continue;
      }
      if (this.options.login !== undefined) {
        const answer = await this.exchange(link, loginRequest(this.options.login));
        if (!answer.ok) {
          failure = 'no_answer';
          link.close();
          continue;
        }
        if (!this.read(() => readLoginResponse(answer.message)).ok) {
          link.close();
          throw new Sip2Error('login_refused', 'the ILS refused the SC login (check --login user and password)');
        }
      }
      this.link = link;
      return link;
    }
    const why = { tls: 'TLS handshake with the ILS failed (certificate not trusted or wrong name)', no_answer: 'the ILS accepts connections but does not answer the SC login', unreachable: `cannot reach the ILS at ${this.options.host}:${this.options.port}` };
    throw new Sip2Error(failure, why[failure as keyof typeof why] ?? why.unreachable);
  }

  /** One request and its answer on one connection, with 97 for a garbled or late answer and a repeat on 96. */
  private async exchange(link: Link, message: SipMessage): Promise<Exchange> {
    const expected = RESPONSE_TO[message.code];
    const sequence = this.sequence;
    this.sequence = (this.sequence + 1) % 10;
    const terminator = this.options.terminator ?? '\r';
    const bytes = encodeFrame(encodeMessage(message), this.detection ? { sequence } : false, terminator);
    const resend = encodeFrame(encodeMessage(requestAcsResend()), this.detection ? { sequence: null } : false, terminator);
    link.clearInbox();
    if (!link.alive) return { ok: false, reason: 'connection_lost', written: false };
    link.write(bytes);
    let asks = 0;
    const ask = (what: Buffer): boolean => {
      if (asks >= this.retries) return false;
      asks++;
      link.write(what);
      return true;
    };
    for (;;) {
      const event = await link.next(this.timeout_ms);
      if (event.kind === 'closed') return { ok: false, reason: 'connection_lost', written: true };
      if (event.kind === 'timeout') {
        if (ask(resend)) continue;
        return { ok: false, reason: 'no_answer', written: true };
      }
      const frame = decodeFrame(event.line, { requireChecksum: this.detection });
      if (!frame.ok) {
        if (ask(resend)) continue;
        throw new Sip2Error('protocol', `the ILS keeps answering with a damaged message (${frame.error.kind})`);
      }
      if (this.detection && frame.frame.sequence !== null && frame.frame.sequence !== sequence) continue; // a late answer to an earlier request
      const decoded = decodeMessage(frame.frame.payload);
      if (!decoded.ok) {
        if (ask(resend)) continue;
        throw new Sip2Error('protocol', describeDecodeError(decoded.error));
      }
      if (decoded.message.code === '96') {
        if (ask(bytes)) continue;
        throw new Sip2Error('protocol', 'the ILS keeps asking for our message again (96)');
      }
      if (decoded.message.code !== expected) continue; // not the answer to this request
      if (!this.detection && asks > 0) this.retireAfterUse(link); // without sequence numbers, a second copy could be taken for the next answer
      return { ok: true, message: decoded.message };
    }
  }

  private retireAfterUse(link: Link): void {
    queueMicrotask(() => {
      link.close();
      if (this.link === link) this.link = null;
    });
  }

  private read<T>(reader: () => T): T {
    try {
      return reader();
    } catch (e) {
      if (e instanceof Sip2Error) throw e;
      throw new Sip2Error('protocol', e instanceof Error ? e.message : 'unreadable answer');
    }
  }

  private date(): string {
    return sipDate(this.options.now?.() ?? new Date());
  }
}
