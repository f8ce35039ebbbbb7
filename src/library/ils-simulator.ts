import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { sumMinor, type Minor } from '../shared/money';
import { decodeFrame, encodeFrame, LineSplitter, type ErrorDetection } from './frame';
import { sipDate } from './fields';
import type { IlsData, SimFine, SimPatron } from './ils-data';
import { decodeMessage, encodeMessage, fieldValue, type SipMessage } from './messages';
import { formatSipAmount, parseSipAmount, SipAmountError } from './money';
import type { IlsProfileName } from './profiles';
import { readFeePaidRequest, readLoginRequest, readPatronInformationRequest } from './requests';
import { acsStatusResponse, endSessionResponse, feePaidResponse, loginResponse, patronInformationResponse } from './responses';

// An ILS that speaks SIP2 over TCP (or TLS) like Koha or Evergreen: login,
// SC status, patron information with fine items in the profile's AV format,
// fee paid recorded per transaction id (BK) so a repeated BK is answered the
// same and never posted twice, end session, resend (97) and 96 on a bad
// checksum. Test affordances: refuse a fee, drop or corrupt answers, go down
// and come back on the same port with its books intact. It logs nothing.

export interface FeePaidRecord {
  transaction_id: string;
  accepted: boolean;
  amount_minor: Minor;
  fee_id: string | null;
  patron_id: string;
  reason?: string;
}

export interface IlsSimulatorOptions {
  data: IlsData;
  profile?: IlsProfileName;
  tls?: { key: string | Buffer; cert: string | Buffer };
  now?: () => Date;
  /**
   * As an ILS set to check patron passwords: a Patron Information without one (AD)
   * for a patron who has a PIN is answered CQ N, without name or fines.
   */
  require_pin?: boolean;
}

interface Session {
  logged_in: boolean;
  last_response: Buffer | null;
}

const ACS_RESEND = '96';

export class IlsSimulator {
  readonly profile: IlsProfileName;
  private readonly data: IlsData;
  private readonly now: () => Date;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly fees = new Map<string, { fine: SimFine; outstanding_minor: number; patron: SimPatron }>();
  private readonly paid = new Map<string, FeePaidRecord & { request_key: string }>();
  private readonly refused = new Set<string>();
  private dropAnswers = 0;
  private corruptAnswers = 0;
  private port_ = 0;
  private host_ = '127.0.0.1';

  constructor(private readonly options: IlsSimulatorOptions) {
    this.data = options.data;
    this.profile = options.profile ?? 'koha';
    this.now = options.now ?? (() => new Date());
    for (const patron of this.data.patrons) for (const fine of patron.fines) this.fees.set(fine.id, { fine, outstanding_minor: fine.amount_minor, patron });
  }

  get port(): number {
    return this.port_;
  }

  /** Listens; port 0 picks a free one the first time, and a restart reuses it. */
  async start(port = this.port_, host = this.host_): Promise<{ host: string; port: number }> {
    if (this.server !== null) throw new Error('the ILS simulator is already running');
    const onConnection = (socket: net.Socket) => this.serve(socket);
    const server = this.options.tls === undefined ? net.createServer(onConnection) : tls.createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, onConnection);
    server.listen(port, host);
    await once(server, 'listening');
    this.server = server;
    this.host_ = host;
    this.port_ = (server.address() as net.AddressInfo).port;
    return { host, port: this.port_ };
  }

  /** Goes down like a crashed or restarting ILS: every connection is cut. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Fee Paid for this fee id will be answered "payment accepted = N". */
  refuseFee(fee_id: string): void {
    this.refused.add(fee_id);
  }

  /** The next `n` answers are computed (and kept for a 97) but never sent. */
  dropNextAnswers(n: number): void {
    this.dropAnswers = n;
  }

  /** The next `n` answers go out with a wrong checksum. */
  corruptNextAnswers(n: number): void {
    this.corruptAnswers = n;
  }

  /** Every Fee Paid posted or refused, one per transaction id. */
  feePaidRecords(): FeePaidRecord[] {
    return [...this.paid.values()].map(({ request_key: _k, ...r }) => r);
  }

  outstandingMinor(patron_id: string): Minor {
    return sumMinor([...this.fees.values()].filter((x) => x.patron.id === patron_id).map((x) => x.outstanding_minor as Minor));
  }

  connectionCount(): number {
    return this.sockets.size;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    const session: Session = { logged_in: this.data.logins.length === 0, last_response: null };
    const splitter = new LineSplitter();
    socket.on('data', (chunk) => {
      for (const line of splitter.push(chunk).lines) this.onLine(socket, session, line);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private onLine(socket: net.Socket, session: Session, line: Buffer): void {
    const terminator = this.profile === 'koha' ? '\r\n' : '\r'; // Koha's default account terminator is CRLF, Evergreen's CR
    const frame = decodeFrame(line);
    if (!frame.ok) {
      if (frame.error.kind === 'bad_checksum' || frame.error.kind === 'bad_sequence') this.send(socket, session, encodeFrame(ACS_RESEND, { sequence: null }, terminator), false);
      return;
    }
    const detection: ErrorDetection = frame.frame.checksum === 'valid' ? { sequence: frame.frame.sequence } : false;
    const decoded = decodeMessage(frame.frame.payload);
    if (!decoded.ok) {
      this.send(socket, session, encodeFrame(ACS_RESEND, detection === false ? false : { sequence: null }, terminator), false);
      return;
    }
    const request = decoded.message;
    if (request.code === '97') {
      if (session.last_response !== null) this.send(socket, session, session.last_response, false);
      return;
    }
    if (request.code === '93') {
      const ok = this.checkLogin(request);
      session.logged_in = ok;
      this.answer(socket, session, loginResponse(ok), detection);
      return;
    }
    if (!session.logged_in) {
      socket.destroy(); // Koha closes a connection whose first message is not a valid login
      return;
    }
    const response = this.respond(request);
    if (response === null) socket.destroy();
    else this.answer(socket, session, response, detection);
  }

  private checkLogin(request: SipMessage): boolean {
    try {
      const { user_id, password } = readLoginRequest(request);
      return this.data.logins.some((l) => l.user_id === user_id && l.password === password);
    } catch {
      return false;
    }
  }

  private respond(request: SipMessage): SipMessage | null {
    const date = sipDate(this.now());
    const institution_id = this.data.institution_id;
    switch (request.code) {
      case '99':
        return acsStatusResponse({ date, institution_id, library_name: this.data.library_name, supports: ['status', 'resend', 'login', 'patron_information', 'end_patron_session', 'fee_paid'] });
      case '63':
        return this.patronInformation(request, date);
      case '37':
        return this.feePaid(request, date);
      case '35':
        return endSessionResponse({ ended: true, date, institution_id, patron_identifier: fieldValue(request, 'AA') ?? '' });
      default:
        return null;
    }
  }

  private patronInformation(request: SipMessage, date: string): SipMessage {
    const r = readPatronInformationRequest(request);
    const patron = this.data.patrons.find((p) => p.id === r.patron_identifier);
    const base = { date, institution_id: this.data.institution_id, patron_identifier: r.patron_identifier };
    if (patron === undefined) return patronInformationResponse({ ...base, personal_name: '', valid_patron: false, fine_items: [] });
    if (this.options.require_pin === true && patron.pin !== undefined && r.patron_password === undefined) {
      return patronInformationResponse({ ...base, personal_name: '', valid_patron: true, valid_patron_password: false, fine_items: [] });
    }
    const open = patron.fines.filter((f) => this.fees.get(f.id)!.outstanding_minor > 0);
    const total = sumMinor(open.map((f) => this.fees.get(f.id)!.outstanding_minor as Minor));
    return patronInformationResponse({
      ...base,
      personal_name: patron.name,
      home_address: patron.address,
      valid_patron: true,
      valid_patron_password: r.patron_password === undefined ? undefined : patron.pin === undefined || patron.pin === r.patron_password,
      currency_type: this.data.currency,
      fee_amount: formatSipAmount(total),
      fine_items: r.wants_fine_items ? open.map((f) => this.fineItemText(f, this.fees.get(f.id)!.outstanding_minor as Minor)) : [],
    });
  }

  private fineItemText(fine: SimFine, outstanding: Minor): string {
    const amount = formatSipAmount(outstanding);
    switch (this.profile) {
      case 'koha':
        return `${fine.description} ${amount}`;
      case 'evergreen':
        return `${amount} ${fine.type} ${fine.title ?? fine.description}`;
      case 'evergreen-3m': {
        const kind = /^Lost/.test(fine.type) ? 'LOST' : /^Overdue/.test(fine.type) ? 'FINE' : 'FEE';
        return `${fine.id} $${amount} "${kind}" ${fine.title ?? fine.description}`;
      }
    }
  }

  private feePaid(request: SipMessage, date: string): SipMessage {
    const r = readFeePaidRequest(request);
    const answer = (accepted: boolean, screen_message?: string) =>
      feePaidResponse({ accepted, date, institution_id: this.data.institution_id, patron_identifier: r.patron_identifier, transaction_id: r.transaction_id || undefined, screen_message });
    if (r.transaction_id === '') return answer(false, 'transaction id (BK) required');
    const request_key = JSON.stringify([r.patron_identifier, r.fee_amount, r.currency_type, r.fee_identifier ?? null]);
    const earlier = this.paid.get(r.transaction_id);
    if (earlier !== undefined) return earlier.request_key === request_key ? answer(earlier.accepted, earlier.reason) : answer(false, 'transaction id already used for another payment');
    const outcome = this.post(r.patron_identifier, r.patron_password, r.fee_amount, r.currency_type, r.fee_identifier ?? null);
    this.paid.set(r.transaction_id, {
      request_key,
      transaction_id: r.transaction_id,
      patron_id: r.patron_identifier,
      fee_id: r.fee_identifier ?? null,
      amount_minor: outcome.amount_minor,
      accepted: outcome.reason === undefined,
      reason: outcome.reason,
    });
    return answer(outcome.reason === undefined, outcome.reason);
  }

  /** Applies a payment to one fee, or (no fee id, as Koha does) to the oldest fees first. */
  private post(patron_id: string, pin: string | undefined, amountText: string, currency: string, fee_id: string | null): { amount_minor: Minor; reason?: string } {
    let amount_minor: Minor;
    try {
      amount_minor = parseSipAmount(amountText);
    } catch (e) {
      if (e instanceof SipAmountError) return { amount_minor: 0 as Minor, reason: 'invalid amount' };
      throw e;
    }
    const patron = this.data.patrons.find((p) => p.id === patron_id);
    if (patron === undefined) return { amount_minor, reason: 'unknown patron' };
    if (pin !== undefined && patron.pin !== undefined && pin !== patron.pin) return { amount_minor, reason: 'invalid patron password' };
    if (currency.trim() !== this.data.currency) return { amount_minor, reason: 'wrong currency' };
    if (amount_minor <= 0) return { amount_minor, reason: 'invalid amount' };
    const open = patron.fines.map((f) => this.fees.get(f.id)!).filter((x) => x.outstanding_minor > 0);
    if (fee_id !== null) {
      const fee = open.find((x) => x.fine.id === fee_id);
      if (fee === undefined) return { amount_minor, reason: 'no such fee' };
      if (this.refused.has(fee_id)) return { amount_minor, reason: 'payment refused' };
      if (amount_minor > fee.outstanding_minor) return { amount_minor, reason: 'overpayment' };
      fee.outstanding_minor -= amount_minor;
      return { amount_minor };
    }
    if (open.some((x) => this.refused.has(x.fine.id))) return { amount_minor, reason: 'payment refused' };
    if (amount_minor > sumMinor(open.map((x) => x.outstanding_minor as Minor))) return { amount_minor, reason: 'overpayment' };
    let left = amount_minor as number;
    for (const fee of open) {
      const part = Math.min(left, fee.outstanding_minor);
      fee.outstanding_minor -= part;
      left -= part;
    }
    return { amount_minor };
  }

  private answer(socket: net.Socket, session: Session, response: SipMessage, detection: ErrorDetection): void {
    this.send(socket, session, encodeFrame(encodeMessage(response), detection, this.profile === 'koha' ? '\r\n' : '\r'), true);
  }

  private send(socket: net.Socket, session: Session, bytes: Buffer, remember: boolean): void {
    if (remember) session.last_response = bytes;
    if (this.dropAnswers > 0) {
      this.dropAnswers--;
      return;
    }
    let out = bytes;
    if (this.corruptAnswers > 0) {
      this.corruptAnswers--;
      out = Buffer.from(bytes);
      out[2] = out[2] === 0x41 ? 0x42 : 0x41;
    }
    if (!socket.destroyed) socket.write(out);
  }
}
