// OpenPGP/MIME messages (RFC 3156) as text: pure functions, no keys and no I/O. The caller
// encrypts or signs (src/mail/protect.ts) and hands this module the armored results.
//
//   multipart/encrypted; protocol="application/pgp-encrypted"       (RFC 3156 section 4)
//     application/pgp-encrypted             "Version: 1"
//     application/octet-stream              the armored OpenPGP message, whose plaintext is
//                                           textEntity(): text/plain; charset=utf-8, quoted-printable
//   multipart/signed; micalg=pgp-…; protocol="application/pgp-signature"   (section 5)
//     textEntity()                          exactly the bytes the detached signature covers
//     application/pgp-signature             the armored signature
//
// Every line ends in CRLF; every header and body is 7-bit (RFC 2047 words, quoted-printable),
// so no relay re-encodes the signed part. The real subject also travels inside the protected
// part ("protected headers"), so an encrypted message can carry a neutral outer subject.

export const CRLF = '\r\n';

export interface EnvelopeHeaders {
  from: string;
  to: string;
  replyTo?: string | undefined;
  subject: string;
  date: Date;
  /** With angle brackets. */
  messageId: string;
  /** Further headers (e.g. Auto-Submitted), in order; names must be plain header names. */
  extra?: Record<string, string> | undefined;
}

/** LF, CR or CRLF line ends → CRLF. */
export function canonicalize(s: string): string {
  return s.replace(/\r\n|\r|\n/g, CRLF);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 date-time in UTC: "Mon, 23 Nov 2026 14:46:24 +0000". */
export function formatDate(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`
  );
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** RFC 2047 "B" encoded words of at most 75 characters, never splitting a character. */
function encodedWords(s: string): string[] {
  const words: string[] = [];
  let chunk: number[] = [];
  const flush = () => {
    if (chunk.length) words.push(`=?UTF-8?B?${Buffer.from(chunk).toString('base64')}?=`);
    chunk = [];
  };
  for (const ch of s) {
    const bytes = [...Buffer.from(ch, 'utf8')];
    if (chunk.length + bytes.length > 39) flush(); // 39 bytes → 52 base64 characters: words of 64
    chunk.push(...bytes);
  }
  flush();
  return words;
}

/** Folds a header line at spaces so that lines stay under 78 characters where possible. */
function fold(name: string, value: string): string {
  const words = value.split(' ');
  const lines: string[] = [];
  let line = `${name}:`;
  for (const w of words) {
    if (line.length + 1 + w.length > 76 && line.length > name.length + 1) {
      lines.push(line);
      line = ` ${w}`;
    } else {
      line += ` ${w}`;
    }
  }
  lines.push(line);
  return lines.join(CRLF);
}

/** An unstructured header (Subject): folded ASCII, or encoded words when it is not ASCII. */
export function unstructuredHeader(name: string, value: string): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ').trim();
  return fold(name, PRINTABLE_ASCII.test(flat) ? flat : encodedWords(flat).join(' '));
}

/** An address header ("Name <a@b>" or "a@b"): a non-ASCII display name becomes encoded words. */
export function addressHeader(name: string, value: string): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ').trim();
  const m = /^(.*?)\s*<([^<>]+)>$/.exec(flat);
  if (!m) return `${name}: ${flat}`;
  const display = (m[1] ?? '').replace(/^"(.*)"$/, '$1').trim();
  const addr = m[2] ?? '';
  if (!display) return `${name}: <${addr}>`;
  const shown = PRINTABLE_ASCII.test(display)
    ? /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(display)
      ? display
      : `"${display.replace(/["\\]/g, '\\$&')}"`
    : encodedWords(display).join(' ');
  return fold(name, `${shown} <${addr}>`);
}

/** The bare address of "Name <a@b>" or "a@b" (for the SMTP envelope). */
export function bareAddress(value: string): string {
  return /<([^<>]+)>\s*$/.exec(value)?.[1] ?? value.trim();
}

/**
 * Quoted-printable (RFC 2045 section 6.7) of UTF-8 text, CRLF line ends, lines of at most 76
 * characters. Trailing white space, "=", non-ASCII and a line-initial "From " or "." are encoded,
 * so the part survives relays and mbox files unchanged (RFC 3156 section 3).
 */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r\n|\r/g, '\n').split('\n')) {
    const bytes = Buffer.from(line, 'utf8');
    const tokens: string[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] as number;
      const last = i === bytes.length - 1;
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
      let t = literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      if (i === 0 && (b === 46 || (b === 70 && line.startsWith('From ')))) t = `=${b.toString(16).toUpperCase()}`;
      tokens.push(t);
    }
    let cur = '';
    const soft: string[] = [];
    for (const t of tokens) {
      if (cur.length + t.length > 75) {
        soft.push(`${cur}=`);
        cur = '';
      }
      cur += t;
    }
    soft.push(cur);
    out.push(soft.join(CRLF));
  }
  return out.join(CRLF);
}

export interface ProtectedHeaders {
  subject: string;
  from: string;
  to: string;
}

/**
 * The text/plain MIME entity (headers, blank line, quoted-printable body), without a final line
 * break: what a multipart/signed signature covers, and the plaintext of an encrypted message.
 */
export function textEntity(text: string, headers?: ProtectedHeaders): string {
  const lines = [
    `Content-Type: text/plain; charset=utf-8${headers ? '; protected-headers="v1"' : ''}`,
    'Content-Transfer-Encoding: quoted-printable',
  ];
  if (headers) {
    lines.push(
      addressHeader('From', headers.from),
      addressHeader('To', headers.to),
      unstructuredHeader('Subject', headers.subject),
    );
  }
  return `${lines.join(CRLF)}${CRLF}${CRLF}${quotedPrintable(text)}`;
}

function envelope(h: EnvelopeHeaders): string[] {
  const lines = [addressHeader('From', h.from), addressHeader('To', h.to)];
  if (h.replyTo) lines.push(addressHeader('Reply-To', h.replyTo));
  lines.push(
    unstructuredHeader('Subject', h.subject),
    `Date: ${formatDate(h.date)}`,
    `Message-ID: ${h.messageId}`,
    'MIME-Version: 1.0',
  );
  for (const [k, v] of Object.entries(h.extra ?? {})) {
    if (!/^[A-Za-z0-9-]+$/.test(k)) throw new Error(`not a header name: ${k}`);
    lines.push(unstructuredHeader(k, v));
  }
  return lines;
}

function checkBoundary(boundary: string, ...parts: string[]): void {
  if (!/^[A-Za-z0-9'()+_,./:=?-]{1,69}[A-Za-z0-9'()+_,./:=?-]$/.test(boundary)) throw new Error('bad MIME boundary');
  if (parts.some((p) => p.includes(`--${boundary}`))) throw new Error('the MIME boundary occurs in the content');
}

/** A PGP/MIME encrypted message (RFC 3156 section 4) around an armored OpenPGP message. */
export function encryptedMessage(h: EnvelopeHeaders, armoredMessage: string, boundary: string): string {
  const armored = canonicalize(armoredMessage).replace(/(\r\n)+$/, '');
  checkBoundary(boundary, armored);
  return [
    ...envelope(h),
    `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";${CRLF} boundary="${boundary}"`,
    '',
    'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
    `--${boundary}`,
    'Content-Type: application/pgp-encrypted',
    'Content-Description: PGP/MIME version identification',
    '',
    'Version: 1',
    '',
    `--${boundary}`,
    'Content-Type: application/octet-stream; name="encrypted.asc"',
    'Content-Description: OpenPGP encrypted message',
    'Content-Disposition: inline; filename="encrypted.asc"',
    '',
    armored,
    '',
    `--${boundary}--`,
    '',
  ].join(CRLF);
}

/**
 * A PGP/MIME signed message (RFC 3156 section 5): `signedEntity` (from textEntity()) goes in
 * byte for byte; `signature` is the armored detached signature over exactly those bytes, made
 * with the hash `micalg` names ("pgp-sha256").
 */
export function signedMessage(
  h: EnvelopeHeaders,
  signedEntity: string,
  signature: string,
  micalg: string,
  boundary: string,
): string {
  const sig = canonicalize(signature).replace(/(\r\n)+$/, '');
  checkBoundary(boundary, signedEntity, sig);
  if (!/^pgp-[a-z0-9-]+$/.test(micalg)) throw new Error('bad micalg');
  return [
    ...envelope(h),
    `Content-Type: multipart/signed; micalg=${micalg};${CRLF} protocol="application/pgp-signature"; boundary="${boundary}"`,
    '',
    'This is an OpenPGP/MIME signed message (RFC 4880 and 3156)',
    `--${boundary}`,
    signedEntity,
    `--${boundary}`,
    'Content-Type: application/pgp-signature; name="signature.asc"',
    'Content-Description: OpenPGP digital signature',
    'Content-Disposition: attachment; filename="signature.asc"',
    '',
    sig,
    '',
    `--${boundary}--`,
    '',
  ].join(CRLF);
}

const MICALG: Record<string, string> = {
  md5: 'pgp-md5',
  sha1: 'pgp-sha1',
  ripemd: 'pgp-ripemd160',
  sha224: 'pgp-sha224',
  sha256: 'pgp-sha256',
  sha384: 'pgp-sha384',
  sha512: 'pgp-sha512',
  sha3_256: 'pgp-sha3-256',
  sha3_512: 'pgp-sha3-512',
};

/** The micalg parameter (RFC 3156 section 5, IANA "Hash Function Textual Names") for an OpenPGP.js hash name. */
export function micalgFor(hashName: string): string {
  const m = MICALG[hashName.toLowerCase()];
  if (!m) throw new Error(`no micalg for hash ${hashName}`);
  return m;
}
