// Sending one message: the Mailer interface the outbox uses, and its SMTP implementation on a
// pooled nodemailer transport. Errors come back as MailSendError, classified for the outbox:
// permanent (the server refused this message for good: do not retry) and uncertain (the
// connection was lost when the server may already have accepted it: a retry may duplicate).
import nodemailer from 'nodemailer';
import { bareAddress } from './pgp-mime.ts';

/** One message, built whole (src/mail/protect.ts: PGP/MIME encrypted or signed). */
export interface OutgoingMessage {
  /** Envelope sender: "Name <a@b>" or a bare address (MAIL FROM gets the address). */
  from: string;
  /** Envelope recipient: one bare address. */
  to: string;
  /** The message's Message-ID header, with angle brackets; stable across retries. */
  messageId: string;
  /** The whole RFC 5322 message (headers and body), CRLF line ends; sent as it is. */
  raw: string;
}

export interface SendResult {
  /** The Message-ID header sent. */
  messageId: string;
  /** The server's final reply (e.g. "250 2.0.0 Ok: queued as 4Xk2"), addresses redacted. */
  response: string;
  /** The id a server that rewrites Message-ID (Microsoft 365, Amazon SES) gave the message. */
  serverMessageId: string | undefined;
}

export interface Mailer {
  /** Delivers one message to the relay; rejects with MailSendError. */
  send(message: OutgoingMessage): Promise<SendResult>;
  /** Connects and authenticates once, without sending (for a health check). */
  verify(): Promise<void>;
  /** Closes pooled connections; later sends open new ones. */
  close(): Promise<void>;
  /** Where mail goes, for logs: host, port and TLS mode, never credentials. */
  readonly description: string;
}

export class MailSendError extends Error {
  override readonly name = 'MailSendError';
  constructor(
    message: string,
    /** The server refused this message for good (5xx to the recipient or the data): retrying gets the same answer. */
    readonly permanent: boolean,
    /** The server may have accepted the message although the send failed (connection lost mid-delivery). */
    readonly uncertain: boolean,
    readonly responseCode?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface SmtpMailerOptions {
  /** smtp://[user:pass@]host[:port] or smtps://…; nodemailer URL options (e.g. ?requireTLS=true) apply. */
  url: string;
  /** Default 10 000. */
  connectionTimeoutMs?: number;
  /** Wait for the server's greeting. Default 15 000. */
  greetingTimeoutMs?: number;
  /** Inactivity on an open connection. Default 60 000. */
  socketTimeoutMs?: number;
  /** A whole send, queueing in the pool included. Default 120 000. */
  sendTimeoutMs?: number;
  /** Connections the pool keeps at most. Default 3. */
  maxConnections?: number;
  /** An idle pooled connection is closed after this. Default 10 000. */
  idleTimeoutMs?: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Error codes nodemailer sets before any message data left this process: nothing can have been delivered. */
const NOT_DELIVERED_CODES = new Set([
  'EDNS',
  'ECONFIG',
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ETLS',
  'EREQUIRETLS',
  'EENVELOPE',
  'EMAXRECIPIENTS',
  'EPROXY',
]);
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const BEFORE_DATA_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

interface NodemailerErrorLike {
  message?: string;
  code?: string;
  originalCode?: string;
  responseCode?: number;
  permanent?: boolean;
  timeoutType?: string;
  command?: string;
}

/** Replaces the local part of every e-mail address in `s` (server replies often echo the recipient). */
export function redactAddresses(s: string): string {
  return s.replace(/[^\s<>()[\]"',;:@]+@([A-Za-z0-9.-]+\.?[A-Za-z0-9-]*)/g, '…@$1');
}

/** The domain of an address, lower case, for logs. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0
    ? '?'
    : address
        .slice(at + 1)
        .replace(/>$/, '')
        .toLowerCase();
}

function clip(s: string, max = 500): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Classifies a nodemailer error for the outbox. Exported for tests. */
export function toMailSendError(err: unknown): MailSendError {
  if (err instanceof MailSendError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as NodemailerErrorLike;
  const message = clip(redactAddresses(e.message ?? 'send failed'));
  const code = e.code;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  // A reply code means the server answered: it refused (4xx: for now, 5xx: for good). Only a
  // refusal of the recipient or the message itself is permanent; a 5xx to AUTH is our configuration.
  const permanent = e.permanent === true && (code === 'EENVELOPE' || code === 'EMESSAGE');
  const notDelivered =
    responseCode !== undefined ||
    (code !== undefined && NOT_DELIVERED_CODES.has(code)) ||
    (e.originalCode !== undefined && NOT_CONNECTED.has(e.originalCode)) ||
    (e.timeoutType !== undefined && BEFORE_DATA_TIMEOUTS.has(e.timeoutType));
  return new MailSendError(message, permanent, !notDelivered, responseCode, code);
}

class SmtpMailer implements Mailer {
  readonly description: string;
  private transport: ReturnType<typeof nodemailer.createTransport> | undefined;
  private readonly sendTimeoutMs: number;

  constructor(private readonly opts: SmtpMailerOptions) {
    const u = new URL(opts.url);
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new Error('the SMTP URL must be smtp:// or smtps://');
    const secure = u.protocol === 'smtps:';
    const port = u.port || (secure ? '465' : '587');
    this.description = `${u.hostname}:${port} (${secure ? 'TLS' : this.requireTls(u) ? 'STARTTLS required' : 'STARTTLS when offered'})`;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 120_000;
  }

  /** Credentials never cross the network in the clear: smtp:// with a password to a non-loopback host requires STARTTLS. */
  private requireTls(u: URL): boolean {
    if (u.searchParams.has('requireTLS')) return u.searchParams.get('requireTLS') === 'true';
    return u.protocol === 'smtp:' && (u.username !== '' || u.password !== '') && !LOOPBACK.has(u.hostname);
  }

  private getTransport(): ReturnType<typeof nodemailer.createTransport> {
    if (!this.transport) {
      const o = this.opts;
      this.transport = nodemailer.createTransport({
        url: o.url,
        pool: true,
        maxConnections: o.maxConnections ?? 3,
        maxMessages: 100,
        // Every SMTP attempt is the outbox's to count: no silent resend on another connection.
        maxRequeues: 0,
        idleTimeout: o.idleTimeoutMs ?? 10_000,
        connectionTimeout: o.connectionTimeoutMs ?? 10_000,
        greetingTimeout: o.greetingTimeoutMs ?? 15_000,
        socketTimeout: o.socketTimeoutMs ?? 60_000,
        dnsTimeout: 10_000,
        requireTLS: this.requireTls(new URL(o.url)),
        logger: false,
        debug: false,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    }
    return this.transport;
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    try {
      const info = await this.getTransport().sendMail({
        envelope: { from: bareAddress(m.from), to: [m.to] },
        raw: m.raw,
        signal: AbortSignal.timeout(this.sendTimeoutMs),
      });
      return {
        messageId: m.messageId,
        response: clip(redactAddresses(String(info.response ?? ''))),
        serverMessageId: info.serverMessageId,
      };
    } catch (err) {
      throw toMailSendError(err);
    }
  }

  async verify(): Promise<void> {
    try {
      await this.getTransport().verify();
    } catch (err) {
      throw toMailSendError(err);
    }
  }

  async close(): Promise<void> {
    const t = this.transport;
    this.transport = undefined;
    t?.close();
  }
}

export function createSmtpMailer(opts: SmtpMailerOptions): Mailer {
  return new SmtpMailer(opts);
}
