// Signed webhooks against a real local HTTP receiver: the signature verifies with the secret shown
// at creation (and only the current one after rotation); a 500 is retried and then succeeds; a
// 4xx ends the delivery; a timeout is retried until the attempts run out; a rerun of a delivery
// job, or the same event emitted again, delivers nothing twice; private and loopback targets are
// refused when the instance does not allow them; bad input gets 4xx problems.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook, WEBHOOK_HEADERS } from '../src/domain/webhook-signature.ts';
import { deliverWebhook, guardedLookup, postWebhook } from '../src/services/webhook-delivery.ts';
import { type DeliveryView, emitWebhookEvent, getDelivery } from '../src/services/webhooks.ts';
import { makeOrg, makeUser, type Session, signIn, startTestVillage, type TestVillage } from './support/app.ts';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver that records every request and answers each path from a script (default 200). */
class Receiver {
  readonly received: Received[] = [];
  readonly script = new Map<string, Array<number | 'hang'>>();
  private server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      this.received.push({ path, headers: req.headers, body });
      const next = this.script.get(path)?.shift() ?? 200;
      if (next === 'hang') return; // never answers
      res.writeHead(next, { 'content-type': 'text/plain' }).end('a body Village must not keep');
    });
  });
  url = '';
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  at(path: string) {
    return this.received.filter((r) => r.path === path);
  }
  async stop() {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let v: TestVillage;
const rx = new Receiver();
let op: Session;
let aAdmin: Session;
let aMember: Session;
let bAdmin: Session;
let orgA: string;

async function settled(subscriptionId: string, deliveryId: string, timeoutMs = 15_000): Promise<DeliveryView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = await getDelivery(v.ctx, subscriptionId, deliveryId);
    if (d.status !== 'pending') return d;
    if (Date.now() > until) throw new Error(`delivery ${deliveryId} still pending: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function subscribe(s: Session, path: string, events: string[] = ['advisory.published', 'ping'], org?: string) {
  const res = await s.request({
    method: 'POST',
    url: org ? `/api/v1/orgs/${org}/webhooks` : '/api/v1/webhooks',
    payload: { url: rx.url + path, events },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string; secretHint: string; orgId: string | null };
}

async function ping(s: Session, id: string): Promise<DeliveryView> {
  const res = await s.request({ method: 'POST', url: `/api/v1/webhooks/${id}/ping` });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as DeliveryView;
}

const verifies = (secret: string, r: Received) =>
  verifyWebhook(
    secret,
    {
      timestamp: r.headers[WEBHOOK_HEADERS.timestamp] as string | undefined,
      signature: r.headers[WEBHOOK_HEADERS.signature] as string | undefined,
    },
    r.body,
    Math.floor(v.clock.now().getTime() / 1000),
  );

beforeAll(async () => {
  await rx.start();
  v = await startTestVillage({
    env: {
      VILLAGE_WEBHOOK_ALLOW_PRIVATE: '1',
      VILLAGE_WEBHOOK_RETRY_SECONDS: '0.2',
      VILLAGE_WEBHOOK_MAX_ATTEMPTS: '3',
      VILLAGE_WEBHOOK_TIMEOUT_SECONDS: '0.5',
    },
  });
  orgA = (await makeOrg(v, 'org-a')).id;
  const orgB = (await makeOrg(v, 'org-b')).id;
  const ops = await makeOrg(v, 'operators', 'other');
  await makeUser(v, ops.id, 'op@village.example', { operator: true });
  await makeUser(v, orgA, 'admin@a.example', { role: 'admin' });
  await makeUser(v, orgA, 'member@a.example');
  await makeUser(v, orgB, 'admin@b.example', { role: 'admin' });
  op = await signIn(v, 'op@village.example');
  aAdmin = await signIn(v, 'admin@a.example');
  aMember = await signIn(v, 'member@a.example');
  bAdmin = await signIn(v, 'admin@b.example');
});
afterAll(async () => {
  await v?.close();
  await rx.stop();
});

describe('delivery', () => {
  it('sends an event to instance-wide and concerned organizations’ subscriptions, signed with their secrets', async () => {
    const instance = await subscribe(op, '/instance');
    const mine = await subscribe(aAdmin, '/org-a', ['advisory.published'], orgA);
    const other = await subscribe(
      bAdmin,
      '/org-b',
      ['advisory.published'],
      (await v.db.selectFrom('organizations').select('id').where('slug', '=', 'org-b').executeTakeFirstOrThrow()).id,
    );
    const updatesOnly = await subscribe(op, '/updates-only', ['advisory.updated']);
    expect(instance.secret).toMatch(/^whsec_/);
    expect(instance.secretHint).toBe(`${instance.secret.slice(0, 10)}…`);

    const payload = { advisoryId: 'VLG-2026-0001', title: 'Nonce reuse in the handshake', cves: ['CVE-2026-0001'] };
    const emitted = await v.db
      .transaction()
      .execute((trx) => emitWebhookEvent(v.ctx, trx, 'advisory.published', payload, { orgIds: [orgA] }));
    expect(emitted.deliveries).toBe(2);
    for (const sub of [instance, mine]) {
      const d = await v.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('subscription_id', '=', sub.id)
        .where('event_id', '=', emitted.eventId)
        .executeTakeFirstOrThrow();
      expect((await settled(sub.id, d.id)).status).toBe('delivered');
    }
    for (const [path, secret] of [
      ['/instance', instance.secret],
      ['/org-a', mine.secret],
    ] as const) {
      const [r] = rx.at(path);
      if (!r) throw new Error(`nothing received at ${path}`);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers[WEBHOOK_HEADERS.id]).toBe(emitted.eventId);
      expect(r.headers[WEBHOOK_HEADERS.event]).toBe('advisory.published');
      expect(r.headers[WEBHOOK_HEADERS.timestamp]).toMatch(/^\d+$/);
      expect(r.headers[WEBHOOK_HEADERS.signature]).toMatch(/^v1=[0-9a-f]{64}$/);
      expect(verifies(secret, r)).toBe(true);
      // Another subscription's secret does not verify it, nor does a tampered body.
      expect(verifies(path === '/instance' ? mine.secret : instance.secret, r)).toBe(false);
      expect(verifies(secret, { ...r, body: r.body.replace('Nonce', 'Nonse') })).toBe(false);
      expect(JSON.parse(r.body)).toEqual({
        id: emitted.eventId,
        type: 'advisory.published',
        createdAt: expect.any(String),
        data: payload,
      });
    }
    // Organization B is not concerned; the advisory.updated-only subscription does not want it.
    expect(rx.at('/org-b')).toHaveLength(0);
    expect(rx.at('/updates-only')).toHaveLength(0);
    expect(other.orgId).not.toBe(orgA);
    expect(updatesOnly.orgId).toBeNull();
  });

  it('retries a 500 with backoff, then succeeds, and logs every attempt without response bodies', async () => {
    const sub = await subscribe(op, '/flaky');
    rx.script.set('/flaky', [500, 200]);
    const d = await settled(sub.id, (await ping(op, sub.id)).id);
    expect(d.status).toBe('delivered');
    expect(d.attempts).toBe(2);
    expect(d.lastStatusCode).toBe(200);
    expect(d.log.map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 500, 'retry'],
      [2, 200, 'delivered'],
    ]);
    expect(d.log.every((a) => a.durationMs >= 0)).toBe(true);
    const [first, second] = rx.at('/flaky');
    // Both attempts carry the same event id and body, each signed.
    expect(first?.headers[WEBHOOK_HEADERS.id]).toBe(second?.headers[WEBHOOK_HEADERS.id]);
    expect(first?.body).toBe(second?.body);
    expect(second && verifies(sub.secret, second)).toBe(true);
    const listed = await op.request({ method: 'GET', url: `/api/v1/webhooks/${sub.id}/deliveries` });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain('a body Village must not keep');
    expect((listed.json() as DeliveryView[])[0]).toMatchObject({ id: d.id, status: 'delivered', attempts: 2 });
  });

  it('retries a 429, and gives up at once on another 4xx', async () => {
    const sub = await subscribe(op, '/gone');
    rx.script.set('/gone', [429, 404]);
    const d = await settled(sub.id, (await ping(op, sub.id)).id);
    expect(d.status).toBe('failed');
    expect(d.log.map((a) => [a.statusCode, a.outcome])).toEqual([
      [429, 'retry'],
      [404, 'failed'],
    ]);
    expect(rx.at('/gone')).toHaveLength(2);
  });

  it('times out a receiver that does not answer, and stops after the last attempt', async () => {
    const sub = await subscribe(op, '/slow');
    rx.script.set('/slow', ['hang', 'hang', 'hang']);
    const d = await settled(sub.id, (await ping(op, sub.id)).id, 20_000);
    expect(d.status).toBe('failed');
    expect(d.attempts).toBe(3);
    expect(d.log.map((a) => [a.error, a.outcome])).toEqual([
      ['timed out', 'retry'],
      ['timed out', 'retry'],
      ['timed out', 'failed'],
    ]);
    // Each attempt waited about the timeout (0.5 s), not longer.
    for (const a of d.log) expect(a.durationMs).toBeLessThan(3000);
  });

  it('does not deliver twice: a rerun of the job, or the same event emitted again', async () => {
    const sub = await subscribe(op, '/once', ['advisory.updated']);
    const eventId = randomUUID();
    const emit = () =>
      v.db.transaction().execute((trx) => emitWebhookEvent(v.ctx, trx, 'advisory.updated', { advisoryId: 'VLG-1' }, { eventId }));
    // This subscription, and the instance-wide advisory.updated one of the first test.
    expect((await emit()).deliveries).toBe(2);
    const row = await v.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('event_id', '=', eventId)
      .where('subscription_id', '=', sub.id)
      .executeTakeFirstOrThrow();
    expect((await settled(sub.id, row.id)).status).toBe('delivered');
    // The job runs again (a worker crashed before completing it, say): it stands down.
    expect(await deliverWebhook(v.ctx, { deliveryId: row.id, round: 1, attempt: 1 })).toBe('skipped');
    // The release pipeline emits the same event again: nothing new is enqueued.
    expect((await emit()).deliveries).toBe(0);
    await new Promise((r) => setTimeout(r, 1200));
    expect(rx.at('/once')).toHaveLength(1);
    expect((await getDelivery(v.ctx, sub.id, row.id)).attempts).toBe(1);
  });

  it('does not deliver an event whose transaction rolled back', async () => {
    const sub = await subscribe(op, '/rollback', ['advisory.published']);
    await expect(
      v.db.transaction().execute(async (trx) => {
        await emitWebhookEvent(v.ctx, trx, 'advisory.published', { advisoryId: 'never' });
        throw new Error('the release failed');
      }),
    ).rejects.toThrow('the release failed');
    const n = await v.db.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', sub.id).execute();
    expect(n).toHaveLength(0);
  });

  it('redelivers a finished delivery as a new round with the same event id, and refuses while pending', async () => {
    const sub = await subscribe(op, '/again');
    const d = await settled(sub.id, (await ping(op, sub.id)).id);
    const res = await op.request({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/deliveries/${d.id}/redeliver` });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().status).toBe('pending');
    const again = await op.request({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/deliveries/${d.id}/redeliver` });
    // Either still pending (409) or already done (202): never a second concurrent round.
    expect([202, 409]).toContain(again.statusCode);
    const done = await settled(sub.id, d.id);
    expect(done.status).toBe('delivered');
    const got = rx.at('/again');
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(new Set(got.map((r) => r.headers[WEBHOOK_HEADERS.id])).size).toBe(1);
  });

  it('after rotation signs with the new secret, and with the old one only during the overlap', async () => {
    const sub = await subscribe(op, '/rotated');
    const res = await op.request({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/secret`, payload: { overlapHours: 1 } });
    expect(res.statusCode, res.body).toBe(200);
    const rotated = res.json() as { secret: string; secretRotatedAt: string; previousSecretExpiresAt: string };
    expect(rotated.secret).not.toBe(sub.secret);
    expect(rotated.secretRotatedAt).not.toBeNull();
    expect(Date.parse(rotated.previousSecretExpiresAt) - Date.parse(rotated.secretRotatedAt)).toBe(3_600_000);
    await settled(sub.id, (await ping(op, sub.id)).id);
    const [during] = rx.at('/rotated');
    if (!during) throw new Error('nothing received');
    // Two signatures: a receiver with either secret accepts the delivery.
    expect(String(during.headers[WEBHOOK_HEADERS.signature]).split(' ')).toHaveLength(2);
    expect(verifies(rotated.secret, during)).toBe(true);
    expect(verifies(sub.secret, during)).toBe(true);
    // Rotating with no overlap ends every earlier secret at once.
    const again = await op.request({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/secret`, payload: { overlapHours: 0 } });
    expect(again.statusCode, again.body).toBe(200);
    const latest = again.json() as { secret: string; previousSecretExpiresAt: string | null };
    expect(latest.previousSecretExpiresAt).toBeNull();
    await settled(sub.id, (await ping(op, sub.id)).id);
    const after = rx.at('/rotated')[1];
    if (!after) throw new Error('nothing received');
    expect(String(after.headers[WEBHOOK_HEADERS.signature]).split(' ')).toHaveLength(1);
    expect(verifies(latest.secret, after)).toBe(true);
    expect(verifies(rotated.secret, after)).toBe(false);
    expect(verifies(sub.secret, after)).toBe(false);
    // No secret ever appears in a listing.
    const list = await op.request({ method: 'GET', url: '/api/v1/webhooks' });
    for (const secret of [sub.secret, rotated.secret, latest.secret]) expect(list.body).not.toContain(secret);
    const bad = await op.request({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/secret`, payload: { overlapHours: 500 } });
    expect(bad.statusCode).toBe(400);
  });

  it('a deleted subscription gets nothing more', async () => {
    const sub = await subscribe(op, '/deleted', ['advisory.published']);
    const del = await op.request({ method: 'DELETE', url: `/api/v1/webhooks/${sub.id}` });
    expect(del.statusCode, del.body).toBe(200);
    await v.db.transaction().execute((trx) => emitWebhookEvent(v.ctx, trx, 'advisory.published', { advisoryId: 'x' }));
    expect((await op.request({ method: 'DELETE', url: `/api/v1/webhooks/${sub.id}` })).statusCode).toBe(404);
    await new Promise((r) => setTimeout(r, 800));
    expect(rx.at('/deleted')).toHaveLength(0);
  });
});

describe('who manages subscriptions', () => {
  it('operators for the instance, an organization’s admins for it; others see nothing', async () => {
    const mine = await subscribe(aAdmin, '/who', ['ping'], orgA);
    expect(
      (
        await aMember.request({
          method: 'POST',
          url: `/api/v1/orgs/${orgA}/webhooks`,
          payload: { url: `${rx.url}/x`, events: ['ping'] },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await aAdmin.request({ method: 'POST', url: '/api/v1/webhooks', payload: { url: `${rx.url}/x`, events: ['ping'] } }))
        .statusCode,
    ).toBe(403);
    // Another organization's subscription, and an instance-wide one, look like no subscription.
    const instance = await subscribe(op, '/who-instance', ['ping']);
    for (const id of [mine.id, randomUUID()]) {
      const res = await bAdmin.request({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries` });
      expect(res.statusCode).toBe(404);
    }
    expect((await aAdmin.request({ method: 'POST', url: `/api/v1/webhooks/${instance.id}/ping` })).statusCode).toBe(404);
    expect((await aMember.request({ method: 'POST', url: `/api/v1/webhooks/${mine.id}/ping` })).statusCode).toBe(403);
    // Operators manage organizations' subscriptions too.
    const list = await op.request({ method: 'GET', url: `/api/v1/orgs/${orgA}/webhooks` });
    expect((list.json() as Array<{ id: string }>).map((s) => s.id)).toContain(mine.id);
    const audit = await v.db
      .selectFrom('audit_log')
      .select(['action', 'subject_org_id'])
      .where('object_id', '=', mine.id)
      .execute();
    expect(audit).toEqual([{ action: 'webhook.create', subject_org_id: orgA }]);
  });
});

describe('bad input', () => {
  const create = (payload: unknown) => op.request({ method: 'POST', url: '/api/v1/webhooks', payload: payload as object });
  it.each([
    ['no events', { url: 'https://hooks.example/in', events: [] }, 'body.events'],
    ['an unknown event', { url: 'https://hooks.example/in', events: ['case.created'] }, 'body.events.0'],
    ['not a URL', { url: 'not a url', events: ['ping'] }, 'body.url'],
    ['an ftp URL', { url: 'ftp://hooks.example/', events: ['ping'] }, 'body.url'],
    ['credentials in the URL', { url: 'https://u:p@hooks.example/', events: ['ping'] }, 'body.url'],
    ['an unknown field', { url: 'https://hooks.example/', events: ['ping'], secret: 'mine' }, ''],
  ])('%s is a 400 problem', async (_name, payload, field) => {
    const res = await create(payload);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (field) expect((res.json() as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toContain(field);
  });

  it('an unknown subscription or delivery is a 404, a malformed id a 400', async () => {
    expect((await op.request({ method: 'POST', url: `/api/v1/webhooks/${randomUUID()}/secret` })).statusCode).toBe(404);
    const sub = await subscribe(op, '/bad', ['ping']);
    const res = await op.request({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/deliveries/${randomUUID()}/redeliver` });
    expect(res.statusCode).toBe(404);
    expect((await op.request({ method: 'GET', url: '/api/v1/webhooks/nope/deliveries' })).statusCode).toBe(400);
    expect((await op.request({ method: 'GET', url: `/api/v1/webhooks/${sub.id}/deliveries?limit=0` })).statusCode).toBe(400);
  });
});

describe('private targets', () => {
  let strict: TestVillage;
  let strictOp: Session;
  beforeAll(async () => {
    strict = await startTestVillage({ workers: false });
    const ops = await makeOrg(strict, 'operators', 'other');
    await makeUser(strict, ops.id, 'op@village.example', { operator: true });
    strictOp = await signIn(strict, 'op@village.example');
  });
  afterAll(async () => strict?.close());

  it.each([
    'https://127.0.0.1/hook',
    'https://[::1]/hook',
    'https://10.0.0.5/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[::ffff:127.0.0.1]/hook',
    'https://localhost/hook',
    'https://localhost./hook',
    'http://hooks.example/hook',
  ])('refuses %s when private targets are not allowed', async (url) => {
    const before = await strict.db.selectFrom('webhook_subscriptions').select('id').execute();
    const res = await strictOp.request({ method: 'POST', url: '/api/v1/webhooks', payload: { url, events: ['ping'] } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors[0].field).toBe('body.url');
    expect(await strict.db.selectFrom('webhook_subscriptions').select('id').execute()).toEqual(before);
  });

  it('refuses at connect time a name that resolves to a private address, and sends nothing', async () => {
    const err = await new Promise<Error | null>((resolve) => guardedLookup(false)('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/refused address/);
    const before = rx.received.length;
    const port = new URL(rx.url).port;
    for (const url of [`https://localhost:${port}/x`, `https://127.0.0.1:${port}/x`]) {
      const r = await postWebhook(url, {}, '{}', { timeoutMs: 1000, allowPrivate: false });
      expect(r).toMatchObject({ statusCode: null, error: 'target address refused', refused: true });
    }
    expect(rx.received.length).toBe(before);
  });
});
