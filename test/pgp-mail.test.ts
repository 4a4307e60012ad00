// PGP/MIME mail end to end (RFC 3156): queueMail() → the 'mail.send' job → a real SMTP server.
// What the server received is decrypted with the recipient's private key (OpenPGP.js), its
// signature checked against the key published at /.well-known/openpgp-key.asc, and its MIME
// structure checked. AMBER content never reaches a recipient without a usable key in clear.
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestMeta } from '../src/context.ts';
import { messageIdFor, queueMail } from '../src/mail/outbox.ts';
import { ENCRYPTED_SUBJECT } from '../src/mail/protect.ts';
import { addKey } from '../src/services/pgp-keys.ts';
import type { Tlp } from '../src/store/schema-cases.ts';
import { makeOrg, makeUser, startTestVillage, type TestVillage } from './support/app.ts';
import { makeKeyPair, type TestKeyPair } from './support/pgp.ts';
import {
  headerParam,
  multipartParts,
  parseMessage,
  type ReceivedMail,
  type SmtpSink,
  splitEntity,
  startSmtpSink,
  waitFor,
} from './support/smtp-sink.ts';

const DAY = 86_400_000;
const meta: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'pgp-mail-test' };
const SECRET = 'SECRET-PoC: overflow at 0x41414141 in parse_widget() — größe';
const TEXT = `A new proof of concept:\n\n  ${SECRET}\n\nFrom here on, trailing spaces stay.   \n.\nEnd.`;

let v: TestVillage;
let sink: SmtpSink;
let instanceKey: openpgp.PublicKey;
const keys: Record<string, TestKeyPair> = {};
let orgWithKey = '';
let orgWithout = '';

const ago = (ms: number) => new Date(v.clock.now().getTime() - ms);
let n = 0;

async function send(to: string, tlp: Tlp | undefined, extra: { reportId?: string; subject?: string } = {}) {
  const key = `pgp-test:${++n}`;
  await v.db.transaction().execute((trx) =>
    queueMail(v.ctx, trx, {
      key,
      to,
      subject: extra.subject ?? `[Village] VIL-2026-0042: Über the widget (${n})`,
      text: TEXT,
      kind: 'case.test',
      ...(tlp ? { tlp } : {}),
      ...(extra.reportId ? { reportId: extra.reportId } : {}),
    }),
  );
  const id = messageIdFor(key, v.ctx.config.publicUrl);
  const msgs = await sink.waitFor((ms) => ms.some((m) => m.messageId === id), 15_000);
  const m = msgs.find((x) => x.messageId === id) as ReceivedMail;
  expect(m.to).toEqual([to]);
  const row = await waitFor(
    async () => {
      const r = await v.db.selectFrom('mail_outbox').selectAll().where('key', '=', key).executeTakeFirst();
      return r?.state === 'sent' ? r : undefined;
    },
    10_000,
    'sent',
  );
  return { m, row };
}

/** The top-level multipart structure: its content type parameters and its parts, byte for byte. */
function structure(raw: string) {
  const { headerList, body } = splitEntity(raw);
  const type = headerList.find(([k]) => k === 'content-type')?.[1] ?? '';
  const boundary = headerParam(type, 'boundary') ?? '';
  return { type, boundary, parts: multipartParts(body, boundary) };
}

async function decrypt(m: ReceivedMail, key: TestKeyPair) {
  const s = structure(m.raw);
  expect(s.type).toMatch(/^multipart\/encrypted;/);
  expect(headerParam(s.type, 'protocol')).toBe('application/pgp-encrypted');
  expect(s.parts).toHaveLength(2);
  const [control, payload] = s.parts.map((p) => splitEntity(p));
  expect(control?.headerList).toContainEqual(['content-type', 'application/pgp-encrypted']);
  expect(control?.body.trim()).toBe('Version: 1');
  expect(payload?.headerList.find(([k]) => k === 'content-type')?.[1]).toMatch(/^application\/octet-stream/);
  const armored = payload?.body ?? '';
  expect(armored).toMatch(/^-----BEGIN PGP MESSAGE-----/);
  const result = await openpgp.decrypt({
    message: await openpgp.readMessage({ armoredMessage: armored }),
    decryptionKeys: key.privateKey,
    verificationKeys: instanceKey,
    expectSigned: true, // throws unless signed by the instance key
    format: 'binary',
    date: v.clock.now(),
  });
  const sig = result.signatures[0];
  expect(sig?.keyID.toHex().toUpperCase()).toBe(instanceKey.getKeyID().toHex().toUpperCase());
  await expect(sig?.verified).resolves.toBe(true);
  // The plaintext is a MIME entity: text/plain; charset=utf-8, quoted-printable, CRLF.
  const entity = Buffer.from(result.data as Uint8Array).toString('utf8');
  expect(entity).not.toMatch(/[^\r]\n/);
  return { entity, parsed: parseMessage(entity) };
}

/** Checks a multipart/signed message against the instance key; returns the signed part. */
async function verifySigned(m: ReceivedMail) {
  const s = structure(m.raw);
  expect(s.type).toMatch(/^multipart\/signed;/);
  expect(headerParam(s.type, 'protocol')).toBe('application/pgp-signature');
  expect(s.parts).toHaveLength(2);
  const [signedPart, sigPart] = s.parts as [string, string];
  const sigEntity = splitEntity(sigPart);
  expect(sigEntity.headerList.find(([k]) => k === 'content-type')?.[1]).toMatch(/^application\/pgp-signature/);
  const signature = await openpgp.readSignature({ armoredSignature: sigEntity.body });
  // micalg names the hash the signature used.
  const hash = openpgp.enums.read(openpgp.enums.hash, signature.packets[0]?.hashAlgorithm as openpgp.enums.hash);
  expect(headerParam(s.type, 'micalg')).toBe(`pgp-${hash}`);
  // The signature covers the first part exactly, canonical (CRLF) as received.
  expect(signedPart).not.toMatch(/[^\r]\n/);
  const verified = await openpgp.verify({
    message: await openpgp.createMessage({ binary: Buffer.from(signedPart, 'utf8') }),
    signature,
    verificationKeys: instanceKey,
    expectSigned: true,
    date: v.clock.now(),
  });
  await expect(verified.signatures[0]?.verified).resolves.toBe(true);
  // A changed byte breaks it.
  await expect(
    openpgp.verify({
      message: await openpgp.createMessage({ binary: Buffer.from(signedPart.replace('Village', 'Vi11age'), 'utf8') }),
      signature,
      verificationKeys: instanceKey,
      expectSigned: true,
      date: v.clock.now(),
    }),
  ).rejects.toThrow();
  return parseMessage(signedPart);
}

/** Neither the secret nor its quoted-printable or base64 forms appear anywhere in the message. */
function expectNoSecret(m: ReceivedMail) {
  for (const needle of ['SECRET-PoC', '0x41414141', 'parse_widget', Buffer.from(SECRET).toString('base64').slice(0, 20)]) {
    expect(m.raw).not.toContain(needle);
    expect(m.text).not.toContain(needle);
  }
}

beforeAll(async () => {
  sink = await startSmtpSink();
  v = await startTestVillage({ env: { VILLAGE_SMTP_URL: sink.url } });
  const res = await v.app.inject({ method: 'GET', url: '/.well-known/openpgp-key.asc' });
  instanceKey = await openpgp.readKey({ armoredKey: res.body });
  orgWithKey = (await makeOrg(v, 'psirt-org')).id;
  orgWithout = (await makeOrg(v, 'plain-org')).id;
  for (const [name, org] of [
    ['alice', orgWithout],
    ['bob', orgWithKey],
    ['carol', orgWithout],
    ['dave', orgWithout],
  ] as const) {
    await makeUser(v, org, `${name}@example.org`);
  }
  const alice = await v.db
    .selectFrom('users')
    .select(['id', 'org_id'])
    .where('email', '=', 'alice@example.org')
    .executeTakeFirstOrThrow();
  keys.alice = await makeKeyPair('alice@example.org', { created: ago(DAY) });
  await addKey(v.ctx, meta, { kind: 'user', userId: alice.id, orgId: alice.org_id }, keys.alice.publicArmored);
  keys.psirt = await makeKeyPair('psirt@psirt-org.example', { created: ago(DAY) });
  await addKey(v.ctx, meta, { kind: 'org', orgId: orgWithKey }, keys.psirt.publicArmored);
}, 60_000);

afterAll(async () => {
  await v?.close();
  await sink?.close();
});

describe('PGP/MIME mail', () => {
  it("encrypts to the user's own key and signs with the instance key; the real subject travels inside", async () => {
    const { m, row } = await send('alice@example.org', 'AMBER');
    expectNoSecret(m);
    expect(m.subject).toBe(ENCRYPTED_SUBJECT); // AMBER: the outer subject says nothing
    expect(m.headers['mime-version']).toBe('1.0');
    const { entity, parsed } = await decrypt(m, keys.alice as TestKeyPair);
    const inner = Object.fromEntries(parsed.headerList);
    expect(inner['content-type']).toBe('text/plain; charset=utf-8; protected-headers="v1"');
    expect(inner['content-transfer-encoding']).toBe('quoted-printable');
    expect(inner.subject).toMatch(/^\[Village\] VIL-2026-0042: Über the widget/);
    expect(parsed.text).toBe(TEXT);
    expect(entity).toContain('=C3=B6'); // ö, quoted-printable
    expect(row).toMatchObject({ protection: 'encrypted', protected_to: keys.alice?.fingerprint, tlp: 'AMBER' });
  });

  it("falls back to the organization's key", async () => {
    const { m, row } = await send('bob@example.org', 'RED');
    expectNoSecret(m);
    const { parsed } = await decrypt(m, keys.psirt as TestKeyPair);
    expect(parsed.text).toBe(TEXT);
    expect(row).toMatchObject({ protection: 'encrypted', protected_to: keys.psirt?.fingerprint });
    // Not readable with another key.
    await expect(decrypt(m, keys.alice as TestKeyPair)).rejects.toThrow();
  });

  it('keeps the real subject outside for GREEN content', async () => {
    const { m } = await send('alice@example.org', 'GREEN');
    expect(m.subject).toMatch(/^\[Village\] VIL-2026-0042: Über the widget/);
    expect((await decrypt(m, keys.alice as TestKeyPair)).parsed.text).toBe(TEXT);
  });

  it('sends CLEAR and GREEN content to a recipient without a key in clear, signed (multipart/signed)', async () => {
    const { m, row } = await send('carol@example.org', 'GREEN');
    const part = await verifySigned(m);
    expect(part.text).toBe(TEXT);
    expect(m.text).toBe(TEXT);
    expect(m.subject).toMatch(/Über the widget/);
    expect(row).toMatchObject({ protection: 'signed', protected_to: null });
  });

  for (const tlp of ['AMBER', 'AMBER+STRICT', 'RED', undefined] as const) {
    it(`never sends ${tlp ?? 'unlabelled (taken as AMBER)'} content to a recipient without a key: a signed notice instead`, async () => {
      const { m, row } = await send('carol@example.org', tlp);
      expectNoSecret(m);
      expect(m.subject).toBe('[Village] A message is waiting for you');
      expect(m.subject).not.toMatch(/VIL-2026|widget/);
      const part = await verifySigned(m);
      expect(part.text).toMatch(/Sign in to Village to read it/);
      expect(part.text).toContain(`TLP:${tlp ?? 'AMBER'}`);
      expect(row).toMatchObject({ protection: 'withheld', protected_to: null, body_sealed: null });
    });
  }

  it('sends a recipient whose key expired the notice, not clear text', async () => {
    const dave = await v.db
      .selectFrom('users')
      .select(['id', 'org_id'])
      .where('email', '=', 'dave@example.org')
      .executeTakeFirstOrThrow();
    const k = await makeKeyPair('dave@example.org', { created: ago(DAY - 60_000), expiresInSeconds: 86_400 });
    await addKey(v.ctx, meta, { kind: 'user', userId: dave.id, orgId: dave.org_id }, k.publicArmored);
    // While it is valid: encrypted.
    const before = await send('dave@example.org', 'AMBER');
    expect(before.row).toMatchObject({ protection: 'encrypted', protected_to: k.fingerprint });
    v.clock.set(new Date(v.clock.now().getTime() + 120_000));
    try {
      const after = await send('dave@example.org', 'AMBER');
      expectNoSecret(after.m);
      expect(after.row).toMatchObject({ protection: 'withheld' });
      await verifySigned(after.m);
    } finally {
      v.clock.set(new Date(v.clock.now().getTime() - 120_000));
    }
  });

  it("encrypts mail to a reporter to the key on the report; a keyless reporter's notice points to the reply link", async () => {
    const finder = await makeKeyPair('finder@reporter.example', { created: ago(DAY) });
    const res = await v.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      payload: {
        title: 'Overflow in the widget parser',
        description: 'A long enough description of the problem.',
        reporterEmail: 'finder@reporter.example',
        creditConsent: false,
        reporterPgpKey: finder.publicArmored,
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const reportId = res.json().id as string;
    // The acknowledgement (with the private reply link) is encrypted to the reporter's key.
    const ack = await sink.waitFor((ms) => ms.some((x) => x.to.includes('finder@reporter.example')), 15_000);
    const ackMail = ack.find((x) => x.to.includes('finder@reporter.example')) as ReceivedMail;
    expect(ackMail.raw).not.toContain(res.json().replyToken);
    const { parsed } = await decrypt(ackMail, finder);
    expect(parsed.text).toContain(res.json().replyUrl);

    const direct = await send('finder@reporter.example', 'RED', { reportId });
    expect(direct.row).toMatchObject({ protection: 'encrypted', protected_to: finder.fingerprint });
    expect((await decrypt(direct.m, finder)).parsed.text).toBe(TEXT);

    const keyless = await send('other@reporter.example', 'AMBER', { reportId: '00000000-0000-4000-8000-000000000001' });
    expect((await verifySigned(keyless.m)).text).toMatch(/private reply link/);
    expectNoSecret(keyless.m);
  });
});
