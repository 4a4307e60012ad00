// A real SMTP server for tests (smtp-server on 127.0.0.1, a random port) that keeps every
// message it accepts, and can be told to refuse or stall the next ones.
//
//   const sink = await startSmtpSink();
//   const v = await startTestVillage({ env: { VILLAGE_SMTP_URL: sink.url } });
//   ... something that calls queueMail() ...
//   const [m] = await sink.waitForMessages(1);          // or sink.waitFor((ms) => ms.some(...))
//   expect(m.to).toEqual(['alice@vendor.example']);
//   expect(m.subject).toContain('invited'); expect(m.text).toContain('Sign in');
//   await v.close(); await sink.close();
//
// sink.failNext(2, 451) refuses the next two deliveries with "451 …" (after DATA, by default;
// { at: 'rcpt' } refuses the recipient instead); sink.failNext(1, 550) a permanent refusal.
// sink.stallNext(1) takes the next message in but never answers (the client times out not
// knowing whether it was accepted); the message is still recorded in `stalled`.
// Refused and stalled deliveries are not in `messages`. STARTTLS and AUTH are off: use an
// smtp:// URL without credentials. Messages are parsed for headers (unfolded, encoded words
// decoded) and the decoded text: of the signed part of PGP/MIME signed mail, or the armored
// message of PGP/MIME encrypted mail (test/pgp-mail.test.ts decrypts and verifies those).
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** Header names in lower case; a repeated header keeps its last value (all in `headerList`). */
  headers: Record<string, string>;
  headerList: Array<[string, string]>;
  subject: string;
  /** Message-ID header, with angle brackets. */
  messageId: string;
  /** The decoded text body. */
  text: string;
  raw: string;
  /** The id in the sink's 250 reply ("queued as …"). */
  queueId: string;
  receivedAt: Date;
}

export interface FailRule {
  code: number;
  at: 'rcpt' | 'data';
  message?: string;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, for VILLAGE_SMTP_URL. */
  url: string;
  port: number;
  /** Accepted messages, in order. */
  messages: ReceivedMail[];
  /** Messages taken in by stallNext() and never answered. */
  stalled: ReceivedMail[];
  /** Delivery attempts seen (accepted, refused or stalled), counted at RCPT TO / end of DATA. */
  attempts: number;
  /** Refuse the next `n` deliveries with `code` (4xx transient, 5xx permanent). */
  failNext(n: number, code: number, opts?: { at?: 'rcpt' | 'data'; message?: string }): void;
  /** Take the next `n` messages in, then never answer them. */
  stallNext(n: number): void;
  /** Resolves with the messages once `predicate(messages)` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (messages: ReceivedMail[]) => boolean, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Waits until at least `n` messages were accepted. */
  waitForMessages(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Forgets messages, counters and pending failures. */
  reset(): void;
  close(): Promise<void>;
}

/** Polls `predicate` every 25 ms until it returns a truthy value; rejects with `what` after `timeoutMs`. */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

function decodeQuotedPrintable(s: string): Buffer {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const hex = text.slice(i + 1, i + 3);
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c ?? '', 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047 encoded words (UTF-8 / ASCII, B or Q). */
function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')).toString('utf8'),
    );
}

/** Splits an entity into unfolded headers and its raw body (after the blank line). */
export function splitEntity(raw: string): { headerList: Array<[string, string]>; body: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headerList: Array<[string, string]> = [];
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headerList.push([line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim())]);
  }
  return { headerList, body };
}

/**
 * The parts of a multipart body, each exactly as it stands between its delimiters (RFC 2046
 * section 5.1.1: the line break before a delimiter belongs to the delimiter).
 */
export function multipartParts(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const chunks = `\r\n${body}`.split(`\r\n${delimiter}`);
  const parts: string[] = [];
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    parts.push(chunk.replace(/^[ \t]*\r\n/, ''));
  }
  return parts;
}

export const headerParam = (value: string, name: string): string | undefined =>
  new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(value)?.[1];

function decodeBody(headerList: Array<[string, string]>, body: string): string {
  const cte = (headerList.find(([k]) => k === 'content-transfer-encoding')?.[1] ?? '7bit').toLowerCase();
  let text: string;
  if (cte === 'quoted-printable') text = decodeQuotedPrintable(body).toString('utf8');
  else if (cte === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else text = body;
  return text.replace(/\r\n/g, '\n');
}

/**
 * Parses a message: unfolded headers and the decoded text. For PGP/MIME signed mail the text is
 * the signed text/plain part's; for PGP/MIME encrypted mail, the armored OpenPGP message.
 */
export function parseMessage(raw: string): { headerList: Array<[string, string]>; text: string } {
  const { headerList, body } = splitEntity(raw);
  const type = headerList.find(([k]) => k === 'content-type')?.[1] ?? 'text/plain';
  const boundary = headerParam(type, 'boundary');
  if (/^multipart\//i.test(type) && boundary) {
    const parts = multipartParts(body, boundary);
    const pick = /^multipart\/encrypted/i.test(type) ? parts[1] : parts[0];
    const inner = splitEntity(pick ?? '');
    return { headerList, text: decodeBody(inner.headerList, inner.body) };
  }
  return { headerList, text: decodeBody(headerList, body) };
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const stalled: ReceivedMail[] = [];
  const failures: FailRule[] = [];
  let stallCount = 0;
  let attempts = 0;
  let seq = 0;
  const pending = new Set<(err?: Error | null) => void>();

  const refusal = (rule: FailRule): Error => {
    const err = new Error(
      rule.message ?? (rule.code >= 500 ? 'Requested action not taken: refused by test' : 'Try again later (test)'),
    );
    (err as Error & { responseCode: number }).responseCode = rule.code;
    return err;
  };

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    banner: 'village test sink',
    closeTimeout: 1000,
    onRcptTo(_address, _session, callback) {
      if (failures[0]?.at === 'rcpt') {
        attempts++;
        const rule = failures.shift() as FailRule;
        callback(refusal(rule));
        return;
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        attempts++;
        const raw = Buffer.concat(chunks).toString('utf8');
        const { headerList, text } = parseMessage(raw);
        const headers = Object.fromEntries(headerList);
        const queueId = `SINK${String(++seq).padStart(4, '0')}`;
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          headers,
          headerList,
          subject: headers.subject ?? '',
          messageId: headers['message-id'] ?? '',
          text,
          raw,
          queueId,
          receivedAt: new Date(),
        };
        if (failures[0]?.at === 'data') {
          callback(refusal(failures.shift() as FailRule));
          return;
        }
        if (stallCount > 0) {
          stallCount--;
          stalled.push(mail);
          pending.add(callback);
          return;
        }
        messages.push(mail);
        callback(null, `OK: queued as ${queueId}`);
      });
    },
  });
  server.on('error', () => {
    // A client that went away mid-session (e.g. after a stall); nothing to do.
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  const sink: SmtpSink = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    stalled,
    get attempts() {
      return attempts;
    },
    failNext(n, code, opts = {}) {
      if (code < 400 || code > 599) throw new Error('failNext: code must be 4xx or 5xx');
      for (let i = 0; i < n; i++)
        failures.push({ code, at: opts.at ?? 'data', ...(opts.message ? { message: opts.message } : {}) });
    },
    stallNext(n) {
      stallCount += n;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return waitFor(() => (predicate(messages) ? messages : undefined), timeoutMs, 'messages in the SMTP sink');
    },
    waitForMessages(n, timeoutMs = 10_000) {
      return sink.waitFor((ms) => ms.length >= n, timeoutMs);
    },
    reset() {
      messages.length = 0;
      stalled.length = 0;
      failures.length = 0;
      stallCount = 0;
      attempts = 0;
    },
    async close() {
      for (const cb of pending) cb(new Error('sink closing'));
      pending.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sink;
}
