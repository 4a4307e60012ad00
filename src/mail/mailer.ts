// Sending one message: the Mailer interface the outbox uses, and its SMTP implementation on a
// small pool of nodemailer SMTP connections. Errors come back as MailSendError, classified for the outbox:
// permanent (the server refused this message for good: do not retry) and uncertain (the
// connection was lost when the server may already have accepted it: a retry may duplicate).
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
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

/** Messages sent on one connection before it is replaced. */
const MESSAGES_PER_CONNECTION = 100;

// nodemailer's SMTP client is imported with the first connection, not when the server starts.
let smtpModule: Promise<typeof import('nodemailer/lib/smtp-connection')> | undefined;
const smtpConnection = () => {
  smtpModule ??= import('nodemailer/lib/smtp-connection');
  return smtpModule;
};

/**
 * A small pool of SMTP connections (nodemailer's SMTPConnection): each send takes an idle
 * connection or opens one (at most maxConnections), sends the finished message as it is, and
 * gives the connection back; a connection that saw any error is closed, never reused. This
 * skips nodemailer's message composition, which costs several times more than the SMTP
 * exchange itself for a prebuilt message (bench/fanout.ts).
 */
class SmtpMailer implements Mailer {
  readonly description: string;
  private readonly sendTimeoutMs: number;
  private readonly max: number;
  private readonly idle: Array<{ conn: SMTPConnection; sent: number; timer: NodeJS.Timeout }> = [];
  private readonly waiting: Array<() => void> = [];
  private open = 0;
  private readonly connOptions: SMTPConnection.Options;
  private readonly auth: { user: string; pass: string } | undefined;

  constructor(private readonly opts: SmtpMailerOptions) {
    const u = new URL(opts.url);
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new Error('the SMTP URL must be smtp:// or smtps://');
    const secure = u.protocol === 'smtps:';
    const port = u.port || (secure ? '465' : '587');
    const requireTLS = this.requireTls(u);
    this.description = `${u.hostname}:${port} (${secure ? 'TLS' : requireTLS ? 'STARTTLS required' : 'STARTTLS when offered'})`;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 120_000;
    this.max = Math.max(1, opts.maxConnections ?? 3);
    this.connOptions = {
      host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(port),
      secure,
      requireTLS,
      connectionTimeout: opts.connectionTimeoutMs ?? 10_000,
      greetingTimeout: opts.greetingTimeoutMs ?? 15_000,
      socketTimeout: opts.socketTimeoutMs ?? 60_000,
      dnsTimeout: 10_000,
      logger: false,
      debug: false,
    };
    this.auth =
      u.username || u.password ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined;
  }

  /** Credentials never cross the network in the clear: smtp:// with a password to a non-loopback host requires STARTTLS. */
  private requireTls(u: URL): boolean {
    if (u.searchParams.has('requireTLS')) return u.searchParams.get('requireTLS') === 'true';
    return u.protocol === 'smtp:' && (u.username !== '' || u.password !== '') && !LOOPBACK.has(u.hostname);
  }

  private async connect(): Promise<SMTPConnection> {
    const { default: Connection } = await smtpConnection();
    const conn = new Connection(this.connOptions);
    conn.on('error', () => {
      // Reported through the pending callback; a late error on an idle connection just ends it.
    });
    try {
      await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
      const auth = this.auth;
      if (auth) await new Promise<void>((resolve, reject) => conn.login(auth, (err) => (err ? reject(err) : resolve())));
      return conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  private async acquire(): Promise<{ conn: SMTPConnection; sent: number }> {
    for (;;) {
      const item = this.idle.pop();
      if (item) {
        clearTimeout(item.timer);
        return { conn: item.conn, sent: item.sent };
      }
      if (this.open < this.max) {
        this.open++;
        try {
          return { conn: await this.connect(), sent: 0 };
        } catch (err) {
          this.open--;
          this.waiting.shift()?.();
          throw err;
        }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(conn: SMTPConnection, sent: number, healthy: boolean): void {
    if (healthy && sent < MESSAGES_PER_CONNECTION) {
      const timer = setTimeout(() => {
        const i = this.idle.findIndex((x) => x.conn === conn);
        if (i >= 0) this.idle.splice(i, 1);
        this.open--;
        conn.quit();
        this.waiting.shift()?.();
      }, this.opts.idleTimeoutMs ?? 10_000);
      timer.unref();
      this.idle.push({ conn, sent, timer });
    } else {
      this.open--;
      if (healthy) conn.quit();
      else conn.close();
    }
    this.waiting.shift()?.();
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    let lease: { conn: SMTPConnection; sent: number };
    try {
      lease = await this.acquire();
    } catch (err) {
      throw toMailSendError(err);
    }
    const { conn } = lease;
    let timer: NodeJS.Timeout | undefined;
    try {
      const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) => {
        timer = setTimeout(() => {
          // The server may have the message already: the caller records an unknown outcome.
          conn.close();
          reject(Object.assign(new Error('send timed out'), { code: 'ETIMEDOUT' }));
        }, this.sendTimeoutMs);
        conn.send({ from: bareAddress(m.from), to: [m.to] }, m.raw, (err, info) => (err ? reject(err) : resolve(info)));
      });
      clearTimeout(timer);
      if (info.rejected?.length) throw Object.assign(new Error('recipient refused'), { code: 'EENVELOPE', permanent: true });
      this.release(conn, lease.sent + 1, true);
      return {
        messageId: m.messageId,
        response: clip(redactAddresses(String(info.response ?? ''))),
        serverMessageId: (info as { serverMessageId?: string }).serverMessageId,
      };
    } catch (err) {
      clearTimeout(timer);
      this.release(conn, lease.sent + 1, false);
      throw toMailSendError(err);
    }
  }

  async verify(): Promise<void> {
    let conn: SMTPConnection | undefined;
    try {
      conn = await this.connect();
      conn.quit();
    } catch (err) {
      throw toMailSendError(err);
    }
  }

  async close(): Promise<void> {
    for (const item of this.idle.splice(0)) {
      clearTimeout(item.timer);
      this.open--;
      item.conn.quit();
    }
  }
}

export function createSmtpMailer(opts: SmtpMailerOptions): Mailer {
  return new SmtpMailer(opts);
}
