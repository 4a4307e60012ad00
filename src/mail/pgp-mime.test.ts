import { describe, expect, it } from 'vitest';
import {
  addressHeader,
  bareAddress,
  CRLF,
  encryptedMessage,
  formatDate,
  micalgFor,
  quotedPrintable,
  signedMessage,
  textEntity,
  unstructuredHeader,
} from './pgp-mime.ts';

/** A reference decoder (RFC 2045 section 6.7). */
function unQp(s: string): string {
  const bytes: number[] = [];
  const t = s.replace(/=\r\n/g, '');
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '=') {
      bytes.push(Number.parseInt(t.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(t[i] as string, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
}

const H = {
  from: 'Village <village@example.org>',
  to: 'ada@example.org',
  subject: 'Hello',
  date: new Date('2026-11-23T14:05:09Z'),
  messageId: '<abc@example.org>',
  extra: { 'Auto-Submitted': 'auto-generated' },
};

describe('quoted-printable', () => {
  const samples = [
    'plain',
    'trailing space   \nand tab\t\nnext',
    'From here\n.dot line\n=equals=',
    'größe ümlaut — dash 🙂',
    'x'.repeat(300),
    `${'é'.repeat(100)}\n`,
    '',
  ];
  it.each(samples)('round-trips, with lines of at most 76 7-bit characters (%#)', (s) => {
    const qp = quotedPrintable(s);
    expect(unQp(qp)).toBe(s.replace(/\r\n/g, '\n'));
    for (const line of qp.split(CRLF)) {
      expect(line.length).toBeLessThanOrEqual(76);
      expect(line).toMatch(/^[\x20-\x7e]*$/);
      expect(line).not.toMatch(/[ \t]$/);
      expect(line.startsWith('From ')).toBe(false);
    }
    expect(qp).not.toMatch(/[^\r]\n/);
  });
});

describe('headers', () => {
  it('encode non-ASCII subjects as RFC 2047 words under 76 characters, folded', () => {
    const h = unstructuredHeader('Subject', `Über ${'größe '.repeat(30)}`);
    for (const line of h.split(CRLF)) expect(line.length).toBeLessThanOrEqual(78);
    expect(h).toMatch(/^Subject: =\?UTF-8\?B\?/);
    const words = [...h.matchAll(/=\?UTF-8\?B\?([^?]*)\?=/g)].map((m) => Buffer.from(m[1] as string, 'base64').toString('utf8'));
    expect(words.join('')).toBe(`Über ${'größe '.repeat(30)}`.trim());
  });
  it('keep ASCII and never let a value start a new header', () => {
    expect(unstructuredHeader('Subject', 'one\r\nBcc: eve@evil.example')).toBe('Subject: one Bcc: eve@evil.example');
    expect(addressHeader('From', 'Village <v@example.org>')).toBe('From: Village <v@example.org>');
    expect(addressHeader('From', 'Village, CERT <v@example.org>')).toBe('From: "Village, CERT" <v@example.org>');
    expect(addressHeader('From', 'Žofie <z@example.org>')).toMatch(/^From: =\?UTF-8\?B\?[^?]+\?= <z@example.org>$/);
    expect(bareAddress('Village <v@example.org>')).toBe('v@example.org');
    expect(formatDate(H.date)).toBe('Mon, 23 Nov 2026 14:05:09 +0000');
  });
  it('micalg names', () => {
    expect(micalgFor('sha256')).toBe('pgp-sha256');
    expect(micalgFor('sha512')).toBe('pgp-sha512');
    expect(() => micalgFor('nope')).toThrow();
  });
});

describe('PGP/MIME', () => {
  it('encrypted: the two parts of RFC 3156 section 4, CRLF only', () => {
    const raw = encryptedMessage(H, '-----BEGIN PGP MESSAGE-----\n\nwcFMA\n-----END PGP MESSAGE-----\n', 'b1');
    expect(raw).not.toMatch(/[^\r]\n/);
    expect(raw).toContain(`Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";${CRLF} boundary="b1"`);
    expect(raw).toContain(`--b1${CRLF}Content-Type: application/pgp-encrypted${CRLF}`);
    expect(raw).toContain(`${CRLF}${CRLF}Version: 1${CRLF}`);
    expect(raw).toContain(`Content-Type: application/octet-stream; name="encrypted.asc"`);
    expect(raw).toContain(`-----END PGP MESSAGE-----${CRLF}${CRLF}--b1--${CRLF}`);
    expect(raw).toMatch(/^From: Village <village@example.org>\r\nTo: ada@example.org\r\nSubject: Hello\r\n/);
    expect(raw).toContain(`MIME-Version: 1.0${CRLF}Auto-Submitted: auto-generated${CRLF}`);
  });
  it('signed: the signed entity goes in byte for byte, followed by the delimiter', () => {
    const entity = textEntity('hi there', { subject: 'S', from: H.from, to: H.to });
    expect(entity.endsWith(CRLF)).toBe(false);
    const raw = signedMessage(H, entity, '-----BEGIN PGP SIGNATURE-----\n\nx\n-----END PGP SIGNATURE-----', 'pgp-sha256', 'b2');
    expect(raw).toContain(`micalg=pgp-sha256;${CRLF} protocol="application/pgp-signature"; boundary="b2"`);
    expect(raw).toContain(`--b2${CRLF}${entity}${CRLF}--b2${CRLF}Content-Type: application/pgp-signature`);
    expect(raw).not.toMatch(/[^\r]\n/);
  });
  it('refuses a boundary that occurs in the content', () => {
    expect(() => signedMessage(H, textEntity('--b3 here'), 'sig', 'pgp-sha256', 'b3')).toThrow(/boundary/);
  });
});
