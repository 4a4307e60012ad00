// Parachute cords end to end on the engine under test: cords set and acknowledged over HTTP,
// feeds polled by their durable jobs from local files (the CISA KEV catalogue from the shared
// sample, an RSS feed, an OSV record), a participant's signal, a date cord, and what firing does:
// the embargo ends through the EM terminate path, the release job is enqueued, every participant
// is told once (with no case content in the mail), and the timeline and the audit log say what
// fired, when, and what Village did. Re-polling fires nothing twice; a crash mid-firing loses
// nothing and duplicates nothing.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kevSignal, parseKevText } from '../src/formats/kev.ts';
import { jobId } from '../src/jobs/pgboss-queue.ts';
import { outboxText } from '../src/mail/outbox.ts';
import { caseInvitation } from '../src/mail/templates.ts';
import { CORD_SIGNAL_JOB, processStoredSignal, RELEASE_JOB, storeSignal } from '../src/services/cords.ts';
import { makeOrg, makeUser, signIn, startTestVillage, type TestVillage } from './support/app.ts';
import { Api, invite, openCase, type Party, partyWithAdmin } from './support/cases.ts';
import { waitFor } from './support/smtp-sink.ts';

const KEV_FILE = '/work/shared/data/kev/known_exploited_vulnerabilities.json';
const KEV_TEXT = readFileSync(KEV_FILE, 'utf8');
const KEV = parseKevText(KEV_TEXT);
const DAY = 86_400_000;

let v: TestVillage;
let coord: Party;
let vendor: Party;
let vendor2: Party;
let op: Api;
let dir: string;

interface CordsOut {
  cords: Array<{ id: string; kind: string; action: string; at?: string }>;
  setHash: string;
  isDefault: boolean;
  acknowledgement: {
    mine: { required: boolean; acknowledgedAt: string | null };
    complete: boolean;
    pendingCount: number | null;
    organizations: Array<{ orgId: string; acknowledgedAt: string | null }> | null;
  };
  firings: Array<{ cordId: string; did: string; note: string | null; signal: { kind: string; source: string } | null }>;
}

beforeAll(async () => {
  v = await startTestVillage({ env: { VILLAGE_LOGIN_IP_LIMIT: '100000' } });
  dir = mkdtempSync(path.join(tmpdir(), 'village-cords-'));
  coord = await partyWithAdmin(v, 'cords-coord', 'coordinator');
  vendor = await partyWithAdmin(v, 'cords-vendor');
  vendor2 = await partyWithAdmin(v, 'cords-vendor-two');
  await makeUser(v, coord.orgId, 'operator@cords-coord.example', { operator: true });
  op = Api.session('operator', await signIn(v, 'operator@cords-coord.example'));
}, 60_000);

afterAll(async () => {
  await v?.close();
});

/** A case with an active embargo, a vulnerability (CVE, package), two vendors; cords acknowledged unless told not to. */
async function embargoedCase(
  title: string,
  o: { cve?: string; purl?: string; ack?: boolean } = {},
): Promise<{ id: string; hash: string }> {
  const c = await openCase(coord.api, { title });
  await invite(coord.api, c.id, vendor.orgId);
  await invite(coord.api, c.id, vendor2.orgId);
  await coord.api.post(
    `/api/v1/cases/${c.id}/vulnerabilities`,
    {
      title: `${title} flaw`,
      ...(o.cve ? { cveId: o.cve } : {}),
      ...(o.purl ? { products: [{ productName: 'the product', purl: o.purl, versionRange: 'vers:npm/<2.0.0' }] } : {}),
    },
    201,
  );
  const releaseAt = new Date(v.clock.now().getTime() + 30 * DAY).toISOString();
  const p = await coord.api.post<{ pending: { id: string } }>(`/api/v1/cases/${c.id}/embargo/proposals`, { releaseAt });
  for (const who of [vendor, vendor2]) await who.api.post(`/api/v1/cases/${c.id}/embargo/proposals/${p.pending.id}/accept`);
  const e = await coord.api.post<{ state: string }>(`/api/v1/cases/${c.id}/embargo/proposals/${p.pending.id}/accept`);
  expect(e.state).toBe('A');
  const cords = await vendor.api.get<CordsOut>(`/api/v1/cases/${c.id}/cords`);
  if (o.ack !== false) {
    for (const who of [coord, vendor, vendor2]) {
      await who.api.post(`/api/v1/cases/${c.id}/cords/ack`, { setHash: cords.setHash });
    }
  }
  return { id: c.id, hash: cords.setHash };
}

async function caseRow(id: string) {
  return v.db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function firings(caseId: string) {
  return v.db.selectFrom('case_cord_firings').selectAll().where('case_id', '=', caseId).orderBy('cord_id').execute();
}

async function releaseJob(caseId: string) {
  const r = await sql<{ data: { key: string; data: unknown } }>`
    SELECT data FROM pgboss.job WHERE name = ${RELEASE_JOB} AND id = ${jobId(RELEASE_JOB, `release:${caseId}`)}::uuid
    UNION ALL
    SELECT data FROM pgboss.archive WHERE name = ${RELEASE_JOB} AND id = ${jobId(RELEASE_JOB, `release:${caseId}`)}::uuid
  `.execute(v.db);
  return r.rows;
}

async function cordMail(caseId: string) {
  const rows = await v.db
    .selectFrom('mail_outbox')
    .select(['key', 'to_address', 'subject'])
    .where('key', 'like', `update:cord:${caseId}:%`)
    .orderBy('to_address')
    .execute();
  // Bodies are sealed at rest; opened here to check what the mail says.
  return Promise.all(rows.map(async (r) => ({ ...r, body_text: await outboxText(v.ctx, v.db, r.key) })));
}

async function createFeed(body: Record<string, unknown>): Promise<{ id: string }> {
  return op.post<{ id: string }>('/api/v1/feeds', { intervalSeconds: 3600, ...body }, 201);
}

async function polled(feedId: string, after: Date | null = null): Promise<void> {
  await waitFor(
    async () => {
      const f = await v.db.selectFrom('feeds').select('last_polled_at').where('id', '=', feedId).executeTakeFirstOrThrow();
      return f.last_polled_at && (!after || f.last_polled_at.getTime() > after.getTime());
    },
    20_000,
    'the feed to be polled',
  );
}

/** Waits until no signal matching job is left to run. */
async function signalsSettled(): Promise<void> {
  await waitFor(
    async () => {
      const r = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pgboss.job WHERE name = ${CORD_SIGNAL_JOB} AND state < 'completed'
      `.execute(v.db);
      return r.rows[0]?.n === 0;
    },
    20_000,
    'signal jobs',
  );
}

describe('cords and their acknowledgement', () => {
  it('a new case has the default template; every participant acknowledges; a change needs new acknowledgements', async () => {
    const c = await openCase(coord.api, { title: 'Defaults' });
    await invite(coord.api, c.id, vendor.orgId);
    const mine = await vendor.api.get<CordsOut>(`/api/v1/cases/${c.id}/cords`);
    expect(mine.isDefault).toBe(true);
    expect(mine.cords.map((k) => [k.id, k.kind, k.action])).toEqual([
      ['exploit-public', 'exploit-public', 'release-now'],
      ['attacks-observed', 'attacks-observed', 'release-now'],
      ['leak-detected', 'leak-detected', 'alert'],
      ['release-date', 'date-reached', 'release-now'],
      ['seen-in-osv', 'feed-match', 'alert'],
    ]);
    expect(mine.acknowledgement).toMatchObject({
      mine: { required: true, acknowledgedAt: null },
      complete: false,
      pendingCount: null,
    });
    // A participant learns neither who else is in the case nor how many.
    expect(mine.acknowledgement.organizations).toBeNull();
    await vendor.api.post(`/api/v1/cases/${c.id}/cords/ack`, { setHash: mine.setHash });
    const seen = await coord.api.get<CordsOut>(`/api/v1/cases/${c.id}/cords`);
    expect(seen.acknowledgement.organizations?.find((o) => o.orgId === vendor.orgId)?.acknowledgedAt).not.toBeNull();
    expect(seen.acknowledgement.pendingCount).toBe(1);

    // Only the coordinator sets cords; the coordinator's acknowledgement comes with it.
    const body = {
      cords: [
        { id: 'x', kind: 'exploit-public', action: 'release-now' },
        { id: 'leak', kind: 'leak-detected', action: 'open-next-tent' },
      ],
      keywords: ['frobnicator'],
    };
    await vendor.api.expect(403, 'PUT', `/api/v1/cases/${c.id}/cords`, body);
    const set = await coord.api.put<CordsOut>(`/api/v1/cases/${c.id}/cords`, body);
    expect(set.isDefault).toBe(false);
    expect(set.setHash).not.toBe(mine.setHash);
    expect(set.acknowledgement).toMatchObject({ mine: { required: true }, complete: false, pendingCount: 1 });
    expect((await coord.api.get<CordsOut>(`/api/v1/cases/${c.id}/cords`)).acknowledgement.organizations).toHaveLength(2);
    // The vendor's acknowledgement was for the old set; acknowledging a stale set is a conflict.
    const after = await vendor.api.get<CordsOut>(`/api/v1/cases/${c.id}/cords`);
    expect(after.acknowledgement.mine.acknowledgedAt).toBeNull();
    await vendor.api.expect(409, 'POST', `/api/v1/cases/${c.id}/cords/ack`, { setHash: mine.setHash });
    await vendor.api.post(`/api/v1/cases/${c.id}/cords/ack`, { setHash: set.setHash });
    expect((await coord.api.get<CordsOut>(`/api/v1/cases/${c.id}/cords`)).acknowledgement.complete).toBe(true);
    // Bad cords are a 400 naming the field, never a 500.
    const bad = await coord.api.expect<{ errors: Array<{ field: string }> }>(400, 'PUT', `/api/v1/cases/${c.id}/cords`, {
      cords: [{ id: 'f', kind: 'feed-match', action: 'alert', watch: { purls: ['left-pad'] }, feeds: [{ source: 'kev' }] }],
    });
    expect(bad.errors[0]?.field).toMatch(/^body\.cords/);
    // The invitation mail asks a newcomer to acknowledge the cords.
    const invitation = caseInvitation(v.ctx.config, { caseRef: 'VC-1', caseId: c.id, orgName: 'V', invitedBy: 'C' });
    expect(invitation.text).toMatch(/parachute cords[\s\S]*acknowledge them/i);
  });
});

describe('firing', () => {
  it('a KEV entry naming the case’s CVE, fed from a file and polled by the feed job, releases the case', async () => {
    const entry = KEV.vulnerabilities.find((e) => e.cveID === 'CVE-2025-48384') ?? KEV.vulnerabilities[0];
    const cve = entry?.cveID as string;
    const c = await embargoedCase('Git config', { cve, purl: 'pkg:github/git/git' });
    // A release needs something to say about a product: the vendor states its fix.
    const vulns = await coord.api.get<Array<{ id: string }>>(`/api/v1/cases/${c.id}/vulnerabilities`);
    await vendor.api.put(`/api/v1/cases/${c.id}/vulnerabilities/${vulns[0]?.id}/statement`, {
      status: 'fixed',
      fixedVersions: ['2.50.1'],
    });
    // An unrelated case with no matching CVE stays untouched.
    const other = await embargoedCase('Unrelated', { cve: 'CVE-2031-0001' });
    const started = Date.now();
    const feed = await createFeed({ kind: 'kev', name: 'CISA KEV', path: KEV_FILE });
    await polled(feed.id);
    await waitFor(async () => (await caseRow(c.id)).em_state === 'X', 20_000, 'the embargo to end');
    const tookMs = Date.now() - started;
    console.log(`KEV catalogue of ${KEV.vulnerabilities.length} entries polled and the cord fired in ${tookMs} ms`);

    // The embargo ended through the EM terminate path, with the reason the cord gives.
    const row = await caseRow(c.id);
    expect(row.embargo_ended_reason).toMatch(/^attacks-observed/);
    expect(row.attacks_observed_at).not.toBeNull();
    const embargo = await vendor.api.get<{ state: string }>(`/api/v1/cases/${c.id}/embargo`);
    expect(embargo.state).toBe('X');
    // The release job is enqueued, naming the cord and the signal.
    const [f] = await firings(c.id);
    expect(f).toMatchObject({ cord_id: 'attacks-observed', did: 'release-now', note: null });
    const jobs = await releaseJob(c.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.data.data).toEqual({
      caseId: c.id,
      trigger: { kind: 'cord', cordId: 'attacks-observed', signalId: f?.signal_id },
    });
    // The timeline (seen by a participant) and the audit log say what fired, when, and what Village did.
    const timeline = await vendor.api.get<Array<{ kind: string; summary: string; at: string }>>(`/api/v1/cases/${c.id}/timeline`);
    const fired = timeline.find((t) => t.kind === 'cord.fired');
    expect(fired?.summary).toContain(cve);
    expect(fired?.summary).toContain('ended the embargo and started the release');
    expect(timeline.some((t) => t.kind === 'embargo.terminate')).toBe(true);
    const audit = await v.db
      .selectFrom('audit_log')
      .select(['action', 'details', 'subject_org_id'])
      .where('object_id', '=', c.id)
      .where('action', '=', 'case.cord_fired')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.subject_org_id).toBe(coord.orgId);
    expect(JSON.stringify(audit[0]?.details)).toContain('kev:');
    // Everyone is told once: one mail per participant's user, without case content.
    const mail = await cordMail(c.id);
    expect(mail.map((m) => m.to_address).sort()).toEqual(
      [
        `admin@${coord.slug}.example`,
        `admin@${vendor.slug}.example`,
        `admin@${vendor2.slug}.example`,
        'operator@cords-coord.example',
      ].sort(),
    );
    // A body is cleared once its message is final (mail is disabled here, so some may already be).
    for (const m of mail) {
      expect(m.subject).not.toContain(cve);
      expect(m.subject).not.toContain('Git config');
      if (m.body_text === null) continue;
      expect(m.body_text).not.toContain(cve);
      expect(m.body_text).not.toContain('Git config');
      expect(m.body_text).toMatch(/embargo has ended/);
    }
    // The firing shows in the cords view.
    const view = await vendor.api.get<CordsOut>(`/api/v1/cases/${c.id}/cords`);
    expect(view.firings).toEqual([
      expect.objectContaining({
        cordId: 'attacks-observed',
        did: 'release-now',
        signal: { kind: 'attacks-observed', source: 'kev' },
      }),
    ]);
    expect((await caseRow(other.id)).em_state).toBe('A');
    expect(await firings(other.id)).toEqual([]);

    // The release job, answered by the release service, publishes the advisory: the landing page
    // is live and names the CVE, and the CSAF document is in the provider's index.
    const ref = (await v.db.selectFrom('cases').select('ref').where('id', '=', c.id).executeTakeFirstOrThrow()).ref;
    const landing = await waitFor(
      async () => {
        const res = await v.app.inject({ method: 'GET', url: `/advisories/${ref}` });
        return res.statusCode === 200 ? res : undefined;
      },
      150_000,
      'the landing page of the released case',
    ).catch(async (e: unknown) => {
      const status = await coord.api.get(`/api/v1/cases/${c.id}/release`);
      throw new Error(`${(e as Error).message}; release: ${JSON.stringify(status)}`);
    });
    expect(landing.body).toContain(cve);
    const index = await v.app.inject({ method: 'GET', url: '/.well-known/csaf/clear/index.txt' });
    expect(index.body.toLowerCase()).toContain(ref.toLowerCase());

    // Polling again stores nothing new and fires nothing twice.
    await signalsSettled();
    const signalsBefore = await v.db
      .selectFrom('cord_signals')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    const last = (await v.db.selectFrom('feeds').select('last_polled_at').where('id', '=', feed.id).executeTakeFirstOrThrow())
      .last_polled_at;
    v.clock.advance(1000);
    await op.post(`/api/v1/feeds/${feed.id}/poll`);
    await polled(feed.id, last);
    await signalsSettled();
    const signalsAfter = await v.db
      .selectFrom('cord_signals')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    expect(signalsAfter.n).toBe(signalsBefore.n);
    expect(await firings(c.id)).toHaveLength(1);
    expect(await cordMail(c.id)).toHaveLength(mail.length);
    expect(await releaseJob(c.id)).toHaveLength(1);
    await op.delete(`/api/v1/feeds/${feed.id}`, {});
  }, 240_000);

  it('a participant’s signal with evidence fires the cord at once', async () => {
    const c = await embargoedCase('Reported exploit');
    const out = await vendor2.api.post<{ signalId: string; fired: unknown[] }>(
      `/api/v1/cases/${c.id}/signals`,
      { kind: 'exploit-public', evidence: { text: 'A working exploit is on a public forum.', url: 'https://forum.example/t/1' } },
      201,
    );
    expect(out.fired).toEqual([{ cordId: 'exploit-public', did: 'release-now' }]);
    const row = await caseRow(c.id);
    expect(row.em_state).toBe('X');
    expect(row.exploit_public_at).not.toBeNull();
    expect(await releaseJob(c.id)).toHaveLength(1);
    expect(await cordMail(c.id)).toHaveLength(4);
    // The evidence is for the reporter's organization and the coordinator; the firing is everyone's.
    const vendorTimeline = await vendor.api.get<Array<{ kind: string }>>(`/api/v1/cases/${c.id}/timeline`);
    expect(vendorTimeline.some((t) => t.kind === 'signal.reported')).toBe(false);
    expect(vendorTimeline.some((t) => t.kind === 'cord.fired')).toBe(true);
    const coordTimeline = await coord.api.get<Array<{ kind: string; data: Record<string, unknown> }>>(
      `/api/v1/cases/${c.id}/timeline`,
    );
    expect(coordTimeline.find((t) => t.kind === 'signal.reported')?.data).toMatchObject({ signalId: out.signalId });
    type Reported = { signals: Array<{ id: string; orgId: string; evidence: { text: string; url?: string } | null }> };
    const evidence = { text: 'A working exploit is on a public forum.', url: 'https://forum.example/t/1' };
    expect((await coord.api.get<Reported>(`/api/v1/cases/${c.id}/cords`)).signals).toEqual([
      expect.objectContaining({ id: out.signalId, orgId: vendor2.orgId, evidence }),
    ]);
    expect((await vendor2.api.get<Reported>(`/api/v1/cases/${c.id}/cords`)).signals[0]?.evidence).toEqual(evidence);
    expect((await vendor.api.get<Reported>(`/api/v1/cases/${c.id}/cords`)).signals).toEqual([]);
    // Sealed at rest: neither the signal row nor the timeline holds the evidence in clear.
    const { rows } = await sql<{ t: string }>`
      SELECT (SELECT signal::text FROM cord_signals WHERE id = ${out.signalId}) ||
             (SELECT string_agg(summary || data::text, ' ') FROM case_events WHERE case_id = ${c.id}) AS t`.execute(v.db);
    expect(rows[0]?.t).not.toContain('public forum');
    expect(rows[0]?.t).not.toContain('forum.example');
    // A second report of the same kind fires nothing more.
    const again = await vendor.api.post<{ fired: unknown[] }>(
      `/api/v1/cases/${c.id}/signals`,
      { kind: 'exploit-public', evidence: { text: 'Seen it too.' } },
      201,
    );
    expect(again.fired).toEqual([]);
    expect(await cordMail(c.id)).toHaveLength(4);
  });

  it('without every participant’s acknowledgement a release-now cord only alerts', async () => {
    const c = await embargoedCase('Not agreed', { ack: false });
    const out = await vendor.api.post<{ fired: unknown[] }>(
      `/api/v1/cases/${c.id}/signals`,
      { kind: 'attacks-observed', evidence: { text: 'Our honeypots saw it.' } },
      201,
    );
    expect(out.fired).toEqual([{ cordId: 'attacks-observed', did: 'alert' }]);
    expect((await caseRow(c.id)).em_state).toBe('A');
    expect(await releaseJob(c.id)).toEqual([]);
    expect((await firings(c.id))[0]?.note).toBe('cords-not-acknowledged');
    const mail = await cordMail(c.id);
    expect(mail).toHaveLength(4);
    // Cleared once final (mail is disabled here): checked while it is still there.
    if (mail[0]?.body_text != null) expect(mail[0].body_text).toMatch(/please look at the case now/);
  });

  it('a date cord fires by its scheduled job; a release-date cord follows the release date', async () => {
    const c = await embargoedCase('Dated');
    // The default release-date cord has a job at the release date.
    const row = await caseRow(c.id);
    const key = `${c.id}:release-date:${row.release_at?.toISOString()}`;
    const scheduled = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'cords.date' AND id = ${jobId('cords.date', key)}::uuid
    `.execute(v.db);
    expect(scheduled.rows[0]?.n).toBe(1);

    // A date cord a few seconds ahead (the queue runs jobs by the database's clock).
    const at = new Date(Date.now() + 2000);
    const set = await coord.api.put<CordsOut>(`/api/v1/cases/${c.id}/cords`, {
      cords: [{ id: 'deadline', kind: 'date-reached', action: 'release-now', at: at.toISOString() }],
    });
    for (const who of [vendor, vendor2]) await who.api.post(`/api/v1/cases/${c.id}/cords/ack`, { setHash: set.setHash });
    v.clock.set(new Date(Math.max(v.clock.now().getTime(), at.getTime()) + 60_000));
    await waitFor(async () => (await caseRow(c.id)).em_state === 'X', 20_000, 'the date cord');
    expect(await firings(c.id)).toEqual([expect.objectContaining({ cord_id: 'deadline', did: 'release-now', signal_id: null })]);
    expect((await caseRow(c.id)).embargo_ended_reason).toMatch(/^expired/);
    const timeline = await coord.api.get<Array<{ kind: string; summary: string }>>(`/api/v1/cases/${c.id}/timeline`);
    expect(timeline.find((t) => t.kind === 'cord.fired')?.summary).toContain(`the date ${at.toISOString()} was reached`);
  }, 30_000);

  it('an RSS item naming a watched keyword fires a feed-match cord', async () => {
    const c = await embargoedCase('Frobnicator');
    const feedUrl = 'https://news.example/security.xml';
    const set = await coord.api.put<CordsOut>(`/api/v1/cases/${c.id}/cords`, {
      cords: [
        { id: 'x', kind: 'exploit-public', action: 'release-now' },
        {
          id: 'chatter',
          kind: 'feed-match',
          action: 'alert',
          watch: { keywords: ['Frobnicator'] },
          feeds: [{ source: 'rss', url: feedUrl }],
        },
      ],
    });
    for (const who of [vendor, vendor2]) await who.api.post(`/api/v1/cases/${c.id}/cords/ack`, { setHash: set.setHash });
    const file = path.join(dir, 'security.xml');
    writeFileSync(
      file,
      `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
        <item><guid>n-1</guid><title>Weather today</title><description>Sunny</description></item>
        <item><guid>n-2</guid><title>0-day in the FROBNICATOR daemon</title><description>Researchers discuss it.</description></item>
      </channel></rss>`,
    );
    const feed = await createFeed({ kind: 'rss', name: 'News', url: feedUrl, path: file, keywords: ['0-day'] });
    await polled(feed.id);
    await waitFor(async () => (await firings(c.id)).length > 0, 20_000, 'the RSS firing');
    expect(await firings(c.id)).toEqual([expect.objectContaining({ cord_id: 'chatter', did: 'alert' })]);
    expect((await caseRow(c.id)).em_state).toBe('A');
    // Only the item with the feed's keyword became a signal.
    const stored = await v.db.selectFrom('cord_signals').select('item_key').where('feed_id', '=', feed.id).execute();
    expect(stored).toHaveLength(1);
    expect(await cordMail(c.id)).toHaveLength(4);
    await op.delete(`/api/v1/feeds/${feed.id}`, {});
  }, 30_000);

  it('an OSV record naming the case’s package fires the default seen-in-OSV cord', async () => {
    const c = await embargoedCase('Padding', { purl: 'pkg:npm/left-pad@1.0.0' });
    const file = path.join(dir, 'osv.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          schema_version: '1.7.0',
          id: 'GHSA-aaaa-bbbb-cccc',
          modified: '2026-01-02T00:00:00Z',
          aliases: [],
          summary: 'Prototype pollution in left-pad',
          affected: [
            {
              package: { ecosystem: 'npm', name: 'left-pad' },
              ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
            },
          ],
        },
        { id: 'OSV-OTHER-1', modified: '2026-01-02T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'requests' } }] },
      ]),
    );
    const feed = await createFeed({ kind: 'osv', name: 'OSV', path: file });
    await polled(feed.id);
    await waitFor(async () => (await firings(c.id)).length > 0, 20_000, 'the OSV firing');
    const [f] = await firings(c.id);
    expect(f).toMatchObject({ cord_id: 'seen-in-osv', did: 'alert' });
    expect(f?.reasons).toEqual([{ by: 'purl', value: 'pkg:npm/left-pad' }]);
    expect((await caseRow(c.id)).em_state).toBe('A');
    await op.delete(`/api/v1/feeds/${feed.id}`, {});
  }, 30_000);

  it('an open-next-tent cord opens the closed tent due next', async () => {
    const c = await embargoedCase('Tented');
    const late = await makeOrg(v, 'cords-late');
    const tent = (id: string, orgIds: string[], opens: Record<string, unknown>) => ({
      id,
      name: id,
      members: { orgIds, tiers: [] },
      opens,
      tlpCeiling: 'AMBER',
      artifacts: 'all',
    });
    await coord.api.put(`/api/v1/cases/${c.id}/tents`, {
      tents: [
        tent('vendors', [vendor.orgId, vendor2.orgId], { kind: 'immediately' }),
        tent('later', [late.id], { kind: 'relative', offsetDays: -3 }),
        tent('last', [late.id], { kind: 'relative', offsetDays: 0 }),
      ],
    });
    const set = await coord.api.put<CordsOut>(`/api/v1/cases/${c.id}/cords`, {
      cords: [{ id: 'leak', kind: 'leak-detected', action: 'open-next-tent' }],
    });
    for (const who of [vendor, vendor2]) await who.api.post(`/api/v1/cases/${c.id}/cords/ack`, { setHash: set.setHash });
    const out = await vendor2.api.post<{ fired: unknown[] }>(
      `/api/v1/cases/${c.id}/signals`,
      { kind: 'leak-detected', evidence: { text: 'The advisory draft is on a paste site.' } },
      201,
    );
    expect(out.fired).toEqual([{ cordId: 'leak', did: 'open-next-tent' }]);
    const tents = await v.db.selectFrom('case_tents').select(['tent_id', 'opened_at']).where('case_id', '=', c.id).execute();
    expect(Object.fromEntries(tents.map((t) => [t.tent_id, t.opened_at !== null]))).toEqual({
      vendors: true,
      later: true,
      last: false,
    });
    expect((await caseRow(c.id)).em_state).toBe('A');
    const timeline = await coord.api.get<Array<{ kind: string; summary: string }>>(`/api/v1/cases/${c.id}/timeline`);
    expect(timeline.find((t) => t.kind === 'cord.fired')?.summary).toContain('opened the next tent (later)');
  });

  it('a crash in the middle of a firing neither loses nor duplicates it', async () => {
    const cve = 'CVE-2030-4242';
    const c = await embargoedCase('Crashy', { cve });
    const entry = { ...(KEV.vulnerabilities[0] as (typeof KEV.vulnerabilities)[number]), cveID: cve };
    const signal = kevSignal(entry, 'crash-test');
    const rowId = (await v.db
      .transaction()
      .execute((trx) => storeSignal(v.ctx, trx, signal, { feedId: null, caseId: null }, v.clock.now()))) as string;
    // The process dies after the embargo ended, while enqueueing the release job: all of it rolls back.
    const crashing = {
      ...v.ctx,
      jobs: {
        ...v.ctx.jobs,
        enqueue: async (...args: Parameters<typeof v.ctx.jobs.enqueue>) => {
          if (args[1] === RELEASE_JOB) throw new Error('crash');
          return v.ctx.jobs.enqueue(...args);
        },
      },
    };
    await expect(v.db.transaction().execute((trx) => processStoredSignal(crashing, trx, rowId))).rejects.toThrow('crash');
    expect((await caseRow(c.id)).em_state).toBe('A');
    expect(await firings(c.id)).toEqual([]);
    expect(await cordMail(c.id)).toEqual([]);
    // The retry (the durable job) fires it once; running it yet again does nothing.
    await v.ctx.jobs.enqueue(v.db, CORD_SIGNAL_JOB, { signalId: rowId }, { key: `signal:${rowId}` });
    await waitFor(async () => (await firings(c.id)).length > 0, 20_000, 'the retried firing');
    expect((await caseRow(c.id)).em_state).toBe('X');
    expect(await v.db.transaction().execute((trx) => processStoredSignal(v.ctx, trx, rowId))).toBe(0);
    expect(await firings(c.id)).toHaveLength(1);
    expect(await releaseJob(c.id)).toHaveLength(1);
    expect(await cordMail(c.id)).toHaveLength(4);
  });
});

describe('feeds', () => {
  it('are the operator’s, and bad configuration is a 400', async () => {
    await vendor.api.expect(403, 'GET', '/api/v1/feeds');
    await op.expect(400, 'POST', '/api/v1/feeds', { kind: 'rss', name: 'No url', path: '/tmp/x.xml' });
    await op.expect(400, 'POST', '/api/v1/feeds', { kind: 'kev', name: 'Relative', path: 'kev.json' });
    const f = await createFeed({ kind: 'kev', name: 'Missing file', path: path.join(dir, 'missing.json'), enabled: true });
    await polled(f.id);
    const listed = await op.get<Array<{ id: string; lastError: string | null }>>('/api/v1/feeds');
    expect(listed.find((x) => x.id === f.id)?.lastError).toMatch(/ENOENT/);
    await op.delete(`/api/v1/feeds/${f.id}`, {});
  });
});
