// A KRACK-sized case, end to end over the API: one reporter without an account (public intake and
// the private reply link), one coordinator, twelve vendors. Intake → triage → case → five CVEs with
// scores and affected products → invitations (RED and AMBER ceilings) → acknowledgements and RM
// moves → an embargo negotiated with revisions → a statement from every vendor on every
// vulnerability → fixes ready and deployed → messages at every TLP and audience → removal of a
// vendor → release, public awareness, and the desiderata scored against what happened.
// At each step the test checks the states, and what each party can and cannot read.
//
// The clock: the village's ManualClock starts at the real "now" and only moves forward, so the
// acknowledgement-reminder jobs the invitations schedule (runAt = invited + ack_hours, by the
// ManualClock) lie in the database's future and never fire during this flow; their scheduling is
// checked in pgboss.job. The reminder itself runs for real in the second describe block below.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { jobId } from '../src/jobs/pgboss-queue.ts';
import { startTestVillage, type TestVillage } from './support/app.ts';
import {
  Api,
  b64,
  caseSnapshot,
  expectConflict,
  expectHidden,
  inOrder,
  invite,
  openCase,
  type Party,
  partyWithAdmin,
  randomId,
  type SubmittedReport,
  submitReport,
  type TimelineEntry,
} from './support/cases.ts';
import { type ReceivedMail, type SmtpSink, startSmtpSink } from './support/smtp-sink.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ACK_JOB = 'case.ack-check';

// --- response shapes (the parts the test reads) ----------------------------------------------------

interface ParticipantOut {
  orgId: string;
  orgName: string;
  role: string;
  rmState: string;
  tlpCeiling: string;
  vendorAwareAt: string | null;
  fixReadyAt: string | null;
  fixDeployedAt: string | null;
  invitedAt: string;
  acknowledgedAt: string | null;
  removedAt: string | null;
}
interface CaseOut {
  id: string;
  ref: string;
  emState: string;
  releaseAt: string | null;
  publicAwareAt: string | null;
  embargoEndedReason: string | null;
  ackHours: number;
  myRole: string;
  participants: ParticipantOut[];
}
interface CaseListRow {
  id: string;
  myRole: string;
  emState: string;
  releaseAt: string | null;
  nextDeadline: string | null;
  nextDeadlineKind: string | null;
  pendingAcks: number;
}
interface ProposalOut {
  id: string;
  kind: 'proposal' | 'revision';
  proposer: string;
  releaseAt: string;
  status: string;
  acceptedBy: string[];
  rejectedBy: string[];
  responses: Array<{ participant: string; decision: string; reason?: string }>;
}
interface EmbargoOut {
  state: string;
  history: string;
  releaseAt: string | null;
  active: ProposalOut | null;
  pending: ProposalOut | null;
  proposals: ProposalOut[];
  consent: Record<string, { state: string; terms: string | null }>;
  termination: { reason: string; early: boolean } | null;
}
interface MessageOut {
  id: string;
  threadId: string;
  subject: string;
  body: string;
  tlp: string;
  audience: 'all' | 'org';
  audienceOrgId: string | null;
  authorOrgId: string;
}
interface StatementsOut {
  vulnerabilities: Array<{ id: string; cveId: string | null }>;
  vendors: Array<{ orgId: string; name: string }>;
  statements: Array<{
    vulnerabilityId: string;
    orgId: string;
    status: string;
    justification: string | null;
    fixedVersions: string[];
  }>;
  missing: Array<{ orgId: string; vulnerabilityId: string }>;
}
interface DesiderataOut {
  rows: Array<{ id: string; scope: string; participant: string | null; status: string }>;
  summary: Array<{ id: string; met: number; missed: number; undetermined: number }>;
}

// --- the cast ----------------------------------------------------------------------------------------

/** Twelve vendors; tlpCeiling as invited (undefined: the default, RED). */
const VENDORS = [
  { slug: 'hostap', tlp: 'RED' },
  { slug: 'microsoft', tlp: undefined },
  { slug: 'apple', tlp: 'RED' },
  { slug: 'google', tlp: undefined },
  { slug: 'cisco', tlp: 'RED' },
  { slug: 'intel', tlp: 'RED' },
  { slug: 'openbsd', tlp: 'TLP:AMBER' },
  { slug: 'debian', tlp: 'RED' },
  { slug: 'netgear', tlp: 'amber' },
  { slug: 'ubiquiti', tlp: 'RED' },
  { slug: 'mikrotik', tlp: 'AMBER' },
  { slug: 'espressif', tlp: 'AMBER' },
] as const;
type Slug = (typeof VENDORS)[number]['slug'];
/** Invited later than the others, after the embargo is agreed. */
const LATE: Slug = 'espressif';
/** Removed from the case after the messages step. */
const REMOVED: Slug = 'ubiquiti';
const ceilingOf = (slug: Slug) => (VENDORS.find((x) => x.slug === slug)?.tlp ?? 'RED').toUpperCase().replace('TLP:', '');

const CVES = ['CVE-2017-13077', 'CVE-2017-13078', 'CVE-2017-13079', 'CVE-2017-13080', 'CVE-2017-13081'] as const;
/** NVD's CVSS 3.x vectors for the five supplicant-side KRACK CVEs (as 3.1), and their base scores. */
const CVSS31: Record<(typeof CVES)[number], [string, number]> = {
  'CVE-2017-13077': ['CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N', 6.8],
  'CVE-2017-13078': ['CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N', 5.3],
  'CVE-2017-13079': ['CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N', 5.3],
  'CVE-2017-13080': ['CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N', 5.3],
  'CVE-2017-13081': ['CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N', 5.3],
};
const CVSS40 = 'CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N';

let v: TestVillage;
let coord: Party;
const vendor = {} as Record<Slug, Party>;
const state = {
  report: undefined as unknown as SubmittedReport,
  attachmentSha256: '',
  caseId: '',
  caseRef: '',
  vulns: {} as Record<string, string>,
  participantIds: {} as Record<string, string>,
  invitedAt: '',
  p1: '',
  r1: '',
  r2: '',
  p1Release: '',
  r2Release: '',
  messages: {} as Record<string, MessageOut>,
  embargoBeforeRemoval: undefined as EmbargoOut | undefined,
};

const url = (tail = '') => `/api/v1/cases/${state.caseId}${tail}`;
const slugs = (): Slug[] => VENDORS.map((x) => x.slug);
const active = (): Slug[] => slugs().filter((s) => s !== REMOVED);
const firstEleven = (): Slug[] => slugs().filter((s) => s !== LATE);
const orgName = (s: Slug) => `Org ${s}`;
const future = (ms: number) => new Date(v.clock.now().getTime() + ms).toISOString();

async function caseAs(p: Party): Promise<CaseOut> {
  return p.api.get<CaseOut>(url());
}
async function participant(slug: Slug): Promise<ParticipantOut> {
  const c = await caseAs(coord);
  const p = c.participants.find((x) => x.orgId === vendor[slug].orgId);
  if (!p) throw new Error(`${slug} is not in the case`);
  return p;
}
async function listRow(p: Party): Promise<CaseListRow | undefined> {
  return (await p.api.get<CaseListRow[]>('/api/v1/cases')).find((c) => c.id === state.caseId);
}
async function embargo(p: Party): Promise<EmbargoOut> {
  return p.api.get<EmbargoOut>(url('/embargo'));
}
async function timeline(p: Party): Promise<TimelineEntry[]> {
  return p.api.get<TimelineEntry[]>(url('/timeline'));
}
async function subjects(p: Party): Promise<string[]> {
  return (await p.api.get<MessageOut[]>(url('/messages'))).map((m) => m.subject).sort();
}

let sink: SmtpSink;
/** Mail received so far for one address. */
const mailTo = (address: string): ReceivedMail[] => sink.messages.filter((m) => m.to.includes(address));

beforeAll(async () => {
  // Real SMTP: every notification goes through the outbox job to a local server.
  sink = await startSmtpSink();
  // Sessions must outlive the week the case spans on the manual clock.
  v = await startTestVillage({
    clock: new ManualClock(new Date()),
    env: {
      VILLAGE_SESSION_IDLE_MINUTES: String(7 * 24 * 60),
      VILLAGE_SESSION_MAX_HOURS: String(30 * 24),
      VILLAGE_SMTP_URL: sink.url,
    },
  });
  coord = await partyWithAdmin(v, 'certcc', 'coordinator');
  const parties = await Promise.all(VENDORS.map((x) => partyWithAdmin(v, x.slug)));
  for (const p of parties) vendor[p.slug as Slug] = p;
}, 120_000);

afterAll(async () => {
  await v?.close();
  await sink?.close();
});

describe('a KRACK-sized case', () => {
  it('intake: the reporter submits without an account and follows the report through the reply link', async () => {
    const poc = 'KRACK proof of concept\nReplays message 3 of the 4-way handshake to force nonce reuse.\n';
    state.report = await submitReport(v, {
      title: 'Key reinstallation attacks against the WPA2 4-way handshake',
      description:
        'Replaying message 3 of the 4-way handshake makes the supplicant reinstall an in-use key and reset the nonce, ' +
        'so packets can be replayed, decrypted and forged. The group key and FT handshakes are affected too.',
      vendorName: 'Many (Wi-Fi supplicants)',
      productName: 'wpa_supplicant',
      purl: 'pkg:generic/wpa_supplicant@2.6',
      cveIds: [...CVES, 'CVE-2017-13077'],
      reporterName: 'Mathy Vanhoef',
      reporterEmail: 'mathy@reporter.example',
      plannedDisclosureAt: future(60 * DAY),
      creditConsent: true,
      creditName: 'Mathy Vanhoef (imec-DistriNet, KU Leuven)',
      attachments: [{ filename: 'krack-poc.txt', contentBase64: b64(poc) }],
    });
    expect(state.report.replyUrl).toBe(`http://localhost:8080/reply/${state.report.replyToken}`);
    expect(state.report.ref).toMatch(/^VR-\d{4}-\d{4}$/);

    const reporter = Api.anonymous(v, 'reporter');
    const thread = await reporter.get<{ report: Record<string, unknown>; messages: unknown[] }>(
      `/api/v1/reply/${state.report.replyToken}`,
    );
    expect(thread.report).toMatchObject({
      id: state.report.id,
      state: 'R',
      caseId: null,
      cveIds: [...CVES], // de-duplicated
      creditName: 'Mathy Vanhoef (imec-DistriNet, KU Leuven)',
    });
    const [att] = thread.report.attachments as Array<{ id: string; filename: string; mediaType: string; sha256: string }>;
    expect(att).toMatchObject({ filename: 'krack-poc.txt', mediaType: 'text/plain; charset=utf-8' });
    expect(att?.sha256).toBe(createHash('sha256').update(poc).digest('hex'));
    state.attachmentSha256 = att?.sha256 ?? '';
    expect(thread.messages).toEqual([]);

    // The coordinator's inbox has it; the attachment downloads as a file.
    const inbox = await coord.api.get<Array<{ id: string; state: string; cveIds: string[] }>>('/api/v1/reports?state=R');
    expect(inbox.map((r) => r.id)).toContain(state.report.id);
    const detail = await coord.api.get<{ history: Array<{ kind: string; to: string }>; allowedActions: string[] }>(
      `/api/v1/reports/${state.report.id}`,
    );
    expect(detail.history.map((h) => [h.kind, h.to])).toEqual([['received', 'R']]);
    expect(detail.allowedActions).toEqual(['validate', 'invalidate']);
    const dl = await coord.api.raw('GET', `/api/v1/reports/${state.report.id}/attachments/${att?.id}`);
    expect(dl.statusCode).toBe(200);
    expect(dl.body).toBe(poc);
    expect(dl.headers['content-disposition']).toMatch(/^attachment;/);

    // Vendors do not triage: the inbox and the report do not exist for them.
    for (const s of ['hostap', 'microsoft'] as const) {
      await vendor[s].api.expect(404, 'GET', '/api/v1/reports');
      await vendor[s].api.expect(404, 'GET', `/api/v1/reports/${state.report.id}`);
    }
  });

  it('triage: Valid, then a case opened from the report accepts it', async () => {
    // Opening a case needs a valid report.
    const early = await coord.api.raw('POST', '/api/v1/cases', { title: 'Too early', reportIds: [state.report.id] });
    expectConflict(early, 'case from a Received report');

    await coord.api.post(`/api/v1/reports/${state.report.id}/transition`, { action: 'validate', note: 'Reproduced.' });
    v.clock.advance(2 * HOUR);
    const c = await openCase(coord.api, {
      title: 'KRACK: key reinstallation in WPA2',
      summary: 'Nonce reuse in the 4-way, group key and FT handshakes.',
      reportIds: [state.report.id],
    });
    state.caseId = c.id;
    state.caseRef = c.ref;
    expect(c.ref).toMatch(/^VC-\d{4}-\d{4}$/);

    const detail = await coord.api.get<{ report: { state: string; caseId: string }; history: Array<Record<string, unknown>> }>(
      `/api/v1/reports/${state.report.id}`,
    );
    expect(detail.report).toMatchObject({ state: 'A', caseId: c.id });
    expect(detail.history.map((h) => [h.kind, h.from, h.to])).toEqual([
      ['received', 'S', 'R'],
      ['validate', 'R', 'V'],
      ['accept', 'V', 'A'],
    ]);
    expect(detail.history[2]?.note).toBe(`opened case ${c.ref}`);

    const reporterView = await Api.anonymous(v).get<{ report: { state: string } }>(`/api/v1/reply/${state.report.replyToken}`);
    expect(reporterView.report.state).toBe('A');

    const view = await caseAs(coord);
    expect(view).toMatchObject({ myRole: 'coordinator', emState: 'N', releaseAt: null, ackHours: 72 });
    expect(view.participants.map((p) => [p.orgId, p.role, p.rmState])).toEqual([[coord.orgId, 'coordinator', 'A']]);
    expect(await listRow(coord)).toMatchObject({ myRole: 'coordinator', pendingAcks: 0, nextDeadline: null });
    expect((await timeline(coord)).map((e) => e.kind)).toEqual(['case.opened']);
  });

  it('vulnerabilities: five CVEs with CVSS 3.1, one with CVSS 4.0 and an SSVC decision, and affected products', async () => {
    for (const cve of CVES) {
      const first = cve === 'CVE-2017-13077';
      const body = {
        cveId: cve,
        title: `KRACK: ${cve}`,
        description: 'Key reinstallation in a WPA2 handshake.',
        cweIds: ['CWE-323'],
        cvss31: CVSS31[cve][0],
        ...(first ? { cvss40: CVSS40, ssvc: { table: 'DT_SP', values: { E: 'P', U: 'L', TI: 'T', PSI: 'M' } } } : {}),
        products: [
          {
            vendorOrgId: vendor.hostap.orgId,
            productName: 'wpa_supplicant',
            purl: 'pkg:generic/wpa_supplicant',
            versionRange: 'vers:generic/>=0.6|<=2.6',
          },
          {
            vendorOrgId: vendor.debian.orgId,
            productName: 'wpasupplicant (Debian)',
            purl: 'pkg:deb/debian/wpasupplicant?distro=stretch',
            versionRange: 'vers:deb/<2:2.4-10',
          },
          { vendorOrgId: vendor.google.orgId, productName: 'Android', versionRange: 'security patch level before 2017-11-06' },
        ],
      };
      const { id } = await coord.api.post<{ id: string }>(url('/vulnerabilities'), body, 201);
      state.vulns[cve] = id;
    }
    // The same CVE twice in one case is refused.
    expectConflict(
      await coord.api.raw('POST', url('/vulnerabilities'), { cveId: 'CVE-2017-13080', title: 'Again' }),
      'duplicate CVE',
    );

    const list = await coord.api.get<
      Array<{
        cveId: string;
        cvss31: { baseScore: number } | null;
        cvss40: { vector: string; baseScore: number } | null;
        ssvc: { table: string; outcome: { key: string; name: string } } | null;
        products: Array<{ purl: string | null; versionRange: string | null }>;
      }>
    >(url('/vulnerabilities'));
    expect(list.map((x) => x.cveId)).toEqual([...CVES]);
    for (const x of list) {
      expect(x.cvss31?.baseScore, x.cveId).toBe(CVSS31[x.cveId as (typeof CVES)[number]][1]);
      expect(x.products.map((p) => p.purl)).toEqual([
        'pkg:generic/wpa_supplicant',
        'pkg:deb/debian/wpasupplicant?distro=stretch',
        null,
      ]);
      expect(x.products[0]?.versionRange).toBe('vers:generic/>=0.6|<=2.6');
    }
    const [k77, k78] = list;
    expect(k77?.cvss40).toEqual({ vector: CVSS40, baseScore: 7.6 });
    expect(k77?.ssvc).toMatchObject({ table: 'DT_SP', outcome: { key: 'S', name: 'Scheduled' } });
    expect(k78?.cvss40).toBeNull();
    expect(k78?.ssvc).toBeNull();
  });

  it('invitations: eleven vendors (RED and AMBER ceilings); one not yet invited still gets a 404', async () => {
    const random = await vendor.hostap.api.raw('GET', `/api/v1/cases/${randomId()}`);
    for (const s of slugs()) {
      expectHidden(await vendor[s].api.raw('GET', url()), random, `${s} before the invitation`);
    }
    v.clock.advance(HOUR);
    for (const x of VENDORS) {
      if (x.slug === LATE) continue;
      state.participantIds[x.slug] = await invite(
        coord.api,
        state.caseId,
        vendor[x.slug].orgId,
        x.tlp ? { tlpCeiling: x.tlp } : {},
      );
    }
    expectConflict(
      await coord.api.raw('POST', url('/participants'), { orgId: vendor.hostap.orgId, role: 'vendor' }),
      'inviting twice',
    );

    const view = await caseAs(coord);
    for (const s of slugs().filter((s) => s !== LATE)) {
      const p = view.participants.find((x) => x.orgId === vendor[s].orgId);
      expect(p, s).toMatchObject({ role: 'vendor', rmState: 'R', tlpCeiling: ceilingOf(s), acknowledgedAt: null });
      expect(p?.vendorAwareAt, s).toBe(p?.invitedAt);
      // A vendor now sees the case, as a vendor.
      expect(await caseAs(vendor[s]), s).toMatchObject({ id: state.caseId, myRole: 'vendor' });
    }
    state.invitedAt = view.participants.find((x) => x.orgId === vendor.hostap.orgId)?.invitedAt ?? '';
    // The late vendor is still outside.
    expectHidden(await vendor[LATE].api.raw('GET', url()), random, 'late vendor');
    expectHidden(
      await vendor[LATE].api.raw('GET', url('/embargo')),
      await vendor[LATE].api.raw('GET', `/api/v1/cases/${randomId()}/embargo`),
      'late vendor embargo',
    );
    expect(await listRow(vendor[LATE])).toBeUndefined();

    // The coordinator chases eleven acknowledgements, due ack_hours after the invitation.
    const dueAt = new Date(Date.parse(state.invitedAt) + 72 * HOUR).toISOString();
    expect(await listRow(coord)).toMatchObject({ pendingAcks: 11, nextDeadline: dueAt, nextDeadlineKind: 'acknowledgement due' });
    // Vendors do not chase anyone; no release date yet.
    expect(await listRow(vendor.hostap)).toMatchObject({ myRole: 'vendor', pendingAcks: 0, nextDeadline: null });

    // Each invitation scheduled its reminder at invited + ack_hours (on the app's clock).
    for (const [s, pid] of Object.entries(state.participantIds)) {
      const invitedAt = view.participants.find((x) => x.orgId === vendor[s as Slug].orgId)?.invitedAt ?? '';
      const id = jobId(ACK_JOB, `${pid}:${Date.parse(invitedAt)}:remind`);
      const { rows } = await sql<{ start_after: Date; state: string }>`
        SELECT start_after, state::text AS state FROM pgboss.job WHERE name = ${ACK_JOB} AND id = ${id}::uuid`.execute(v.db);
      expect(rows, s).toHaveLength(1);
      expect(new Date(rows[0]?.start_after ?? 0).toISOString(), s).toBe(dueAt);
      expect(rows[0]?.state, s).toBe('created');
    }
  });

  it('acknowledgements and report management: each vendor moves its own RM state', async () => {
    v.clock.advance(3 * HOUR);
    for (const s of ['microsoft', 'netgear', 'mikrotik'] as const) await vendor[s].api.post(url('/acknowledge'));
    for (const s of ['hostap', 'apple', 'google', 'cisco', 'intel'] as const) {
      expect(await vendor[s].api.post(url('/report-management'), { action: 'validate' })).toEqual({ state: 'V' });
    }
    v.clock.advance(HOUR);
    for (const s of ['hostap', 'apple', 'google'] as const) {
      expect(await vendor[s].api.post(url('/report-management'), { action: 'accept' })).toEqual({ state: 'A' });
    }
    // A second acknowledgement changes nothing; closing a Received report is not a move RM has.
    await vendor.microsoft.api.post(url('/acknowledge'));
    expectConflict(await vendor.debian.api.raw('POST', url('/report-management'), { action: 'close' }), 'R → close');

    const view = await caseAs(coord);
    const rm = Object.fromEntries(
      view.participants
        .filter((p) => p.role === 'vendor')
        .map((p) => [p.orgName.replace('Org ', ''), [p.rmState, !!p.acknowledgedAt]]),
    );
    expect(rm).toEqual({
      hostap: ['A', true],
      microsoft: ['R', true],
      apple: ['A', true],
      google: ['A', true],
      cisco: ['V', true],
      intel: ['V', true],
      openbsd: ['R', false],
      debian: ['R', false],
      netgear: ['R', true],
      ubiquiti: ['R', false],
      mikrotik: ['R', true],
    });
    // Three still to acknowledge; the deadline is unchanged.
    expect(await listRow(coord)).toMatchObject({
      pendingAcks: 3,
      nextDeadline: new Date(Date.parse(state.invitedAt) + 72 * HOUR).toISOString(),
    });
    // Participants see each other's RM states in the case view too (it is not TLP-labelled).
    expect((await caseAs(vendor.cisco)).participants.find((p) => p.orgId === vendor.hostap.orgId)?.rmState).toBe('A');
  });

  it('embargo: proposed, answered, made active; revisions rejected and accepted; the history is everyone’s', async () => {
    v.clock.advance(6 * HOUR);
    state.p1Release = future(4 * DAY);
    let e = await coord.api.post<EmbargoOut>(url('/embargo/proposals'), { releaseAt: state.p1Release });
    expect(e).toMatchObject({ state: 'P', history: 'p', releaseAt: null, active: null });
    state.p1 = e.pending?.id ?? '';
    expect(e.pending).toMatchObject({ kind: 'proposal', proposer: coord.orgId, releaseAt: state.p1Release, status: 'pending' });
    for (const s of firstEleven()) expect(e.consent[vendor[s].orgId]?.state, s).toBe('Invited');
    expect(e.consent[vendor[LATE].orgId]).toBeUndefined();

    // Vendors answer; the embargo stays Proposed until the coordinator (the case owner) accepts.
    v.clock.advance(HOUR);
    const acceptP1 = ['hostap', 'microsoft', 'apple', 'google', 'intel', 'openbsd', 'debian', 'ubiquiti', 'mikrotik'] as const;
    for (const s of acceptP1) {
      e = await vendor[s].api.post<EmbargoOut>(url(`/embargo/proposals/${state.p1}/accept`));
      expect(e.state, s).toBe('P');
    }
    e = await vendor.cisco.api.post<EmbargoOut>(url(`/embargo/proposals/${state.p1}/reject`), {
      reason: 'Four days is too short for our release train.',
    });
    expect(e.state).toBe('P');
    // netgear does not answer.
    v.clock.advance(HOUR);
    e = await coord.api.post<EmbargoOut>(url(`/embargo/proposals/${state.p1}/accept`));
    expect(e).toMatchObject({ state: 'A', history: 'pa', releaseAt: state.p1Release, pending: null });
    expect(e.active).toMatchObject({ id: state.p1, status: 'active' });
    expect(e.active?.acceptedBy.sort()).toEqual([...acceptP1.map((s) => vendor[s].orgId), coord.orgId].sort());
    expect(e.active?.rejectedBy).toEqual([vendor.cisco.orgId]);
    expect(e.active?.responses.find((r) => r.participant === vendor.cisco.orgId)?.reason).toBe(
      'Four days is too short for our release train.',
    );
    expect(e.consent[vendor.hostap.orgId]?.state).toBe('Signatory');
    expect(e.consent[vendor.cisco.orgId]?.state).toBe('Declined');
    expect(e.consent[vendor.netgear.orgId]?.state).toBe('Invited');
    expect((await caseAs(vendor.netgear)).releaseAt).toBe(state.p1Release);

    // cisco asks for more time; the coordinator rejects the revision: the old date stands.
    v.clock.advance(2 * HOUR);
    e = await vendor.cisco.api.post<EmbargoOut>(url('/embargo/proposals'), { releaseAt: future(8 * DAY) });
    expect(e).toMatchObject({ state: 'R', history: 'pap', releaseAt: state.p1Release });
    state.r1 = e.pending?.id ?? '';
    expect(e.pending).toMatchObject({ kind: 'revision', proposer: vendor.cisco.orgId, status: 'pending' });
    // Entering Revise lapses the Signatories, and the revision invites them to its terms.
    expect(e.consent[vendor.hostap.orgId]).toMatchObject({ state: 'Invited', terms: state.r1 });
    v.clock.advance(HOUR);
    e = await coord.api.post<EmbargoOut>(url(`/embargo/proposals/${state.r1}/reject`), {
      reason: 'Eight days is more than the other vendors need.',
    });
    expect(e).toMatchObject({ state: 'A', history: 'papr', releaseAt: state.p1Release, pending: null });
    expect(e.active?.id).toBe(state.p1);
    expect(e.consent[vendor.hostap.orgId]).toMatchObject({ state: 'Signatory', terms: state.p1 }); // restored

    // google proposes two more days; apple and cisco accept, then the coordinator does: new release date.
    v.clock.advance(2 * HOUR);
    state.r2Release = new Date(Date.parse(state.p1Release) + 2 * DAY).toISOString();
    e = await vendor.google.api.post<EmbargoOut>(url('/embargo/proposals'), { releaseAt: state.r2Release });
    expect(e).toMatchObject({ state: 'R', history: 'paprp' });
    state.r2 = e.pending?.id ?? '';
    for (const s of ['apple', 'cisco'] as const) {
      expect((await vendor[s].api.post<EmbargoOut>(url(`/embargo/proposals/${state.r2}/accept`))).state).toBe('R');
    }
    v.clock.advance(HOUR);
    e = await coord.api.post<EmbargoOut>(url(`/embargo/proposals/${state.r2}/accept`));
    expect(e).toMatchObject({ state: 'A', history: 'paprpa', releaseAt: state.r2Release });
    expect(e.active).toMatchObject({ id: state.r2, kind: 'revision', proposer: vendor.google.orgId, status: 'active' });
    expect(e.proposals.map((p) => [p.id, p.kind, p.status])).toEqual([
      [state.p1, 'proposal', 'replaced'],
      [state.r1, 'revision', 'rejected'],
      [state.r2, 'revision', 'active'],
    ]);
    expect(e.consent[vendor.apple.orgId]).toMatchObject({ state: 'Signatory', terms: state.r2 });
    expect(e.consent[vendor.cisco.orgId]).toMatchObject({ state: 'Signatory', terms: state.r2 });
    expect(e.consent[vendor.hostap.orgId]).toMatchObject({ state: 'Invited', terms: state.r2 });
    // hostap signs the new terms too.
    e = await vendor.hostap.api.post<EmbargoOut>(url(`/embargo/proposals/${state.r2}/accept`));
    expect(e.consent[vendor.hostap.orgId]).toMatchObject({ state: 'Signatory', terms: state.r2 });
    expect(e.state).toBe('A');

    // The whole negotiation, the same for every participant.
    const mine = await embargo(coord);
    for (const s of firstEleven()) expect(await embargo(vendor[s]), s).toEqual(mine);
    expect(mine.proposals.find((p) => p.id === state.r1)?.responses).toEqual([
      expect.objectContaining({
        participant: coord.orgId,
        decision: 'rejected',
        reason: 'Eight days is more than the other vendors need.',
      }),
    ]);

    // The three silent vendors acknowledge now; only the release date is left to chase.
    await vendor.openbsd.api.post(url('/acknowledge'));
    await vendor.debian.api.post(url('/report-management'), { action: 'validate' });
    await vendor.ubiquiti.api.post(url('/acknowledge'));
    expect(await listRow(coord)).toMatchObject({ pendingAcks: 0, nextDeadline: state.r2Release, nextDeadlineKind: 'release' });
    expect(await listRow(vendor.netgear)).toMatchObject({
      emState: 'A',
      nextDeadline: state.r2Release,
      nextDeadlineKind: 'release',
    });

    // The timeline holds each step of the negotiation in order.
    const em = (await timeline(coord)).filter((x) => x.kind.startsWith('embargo.') && x.actorOrgId === coord.orgId);
    expect(em.map((x) => [x.kind, x.data.to])).toEqual([
      ['embargo.propose', 'P'],
      ['embargo.accept', 'A'],
      ['embargo.reject', 'A'],
      ['embargo.accept', 'A'],
    ]);
  });

  it('a late vendor: invited after the embargo was agreed, it reads the case and the embargo from then on', async () => {
    const random = await vendor[LATE].api.raw('GET', `/api/v1/cases/${randomId()}`);
    expectHidden(await vendor[LATE].api.raw('GET', url()), random, 'late vendor before its invitation');
    v.clock.advance(HOUR);
    state.participantIds[LATE] = await invite(coord.api, state.caseId, vendor[LATE].orgId, { tlpCeiling: 'AMBER' });
    const c = await caseAs(vendor[LATE]);
    expect(c).toMatchObject({ myRole: 'vendor', emState: 'A', releaseAt: state.r2Release });
    const e = await embargo(vendor[LATE]);
    expect(e.proposals.map((p) => p.id)).toEqual([state.p1, state.r1, state.r2]);
    // Its acknowledgement is due before the release date, so it is the coordinator's next deadline.
    const invitedAt = (await participant(LATE)).invitedAt;
    const due = new Date(Date.parse(invitedAt) + 72 * HOUR).toISOString();
    expect(Date.parse(due)).toBeLessThan(Date.parse(state.r2Release));
    expect(await listRow(coord)).toMatchObject({ pendingAcks: 1, nextDeadline: due, nextDeadlineKind: 'acknowledgement due' });
    await vendor[LATE].api.post(url('/report-management'), { action: 'validate' });
    expect(await listRow(coord)).toMatchObject({ pendingAcks: 0, nextDeadline: state.r2Release });
  });

  it('statements: every vendor on every vulnerability; the coordinator sees who has not answered, a vendor only its own', async () => {
    v.clock.advance(4 * HOUR);
    type Plan = { status: string; fixedVersions?: string[]; justification?: string };
    const plan = (s: Slug, cve: string): Plan => {
      switch (s) {
        case 'hostap':
          return { status: 'affected', fixedVersions: ['2.7'] };
        case 'microsoft':
          return { status: 'fixed', fixedVersions: ['KB4041676'] };
        case 'apple':
          return { status: 'affected', fixedVersions: ['iOS 11.1', 'macOS 10.13.1'] };
        case 'google':
          return { status: 'affected', fixedVersions: ['2017-11-06'] };
        case 'cisco':
          return { status: 'under_investigation' };
        case 'intel':
          return cve === 'CVE-2017-13081'
            ? { status: 'not_affected', justification: 'vulnerable_code_not_present' }
            : { status: 'affected', fixedVersions: ['20.0.2'] };
        case 'openbsd':
          return { status: 'fixed', fixedVersions: ['6.1-errata-027'] };
        case 'debian':
          return { status: 'affected', fixedVersions: ['2:2.4-1+deb9u1'] };
        case 'netgear':
          return cve === 'CVE-2017-13077' ? { status: 'affected' } : { status: 'under_investigation' };
        case 'ubiquiti':
          return { status: 'fixed', fixedVersions: ['3.9.3.7537'] };
        case 'mikrotik':
          return { status: 'fixed', fixedVersions: ['6.39.3'] };
        case 'espressif':
          return { status: 'not_affected', justification: 'component_not_present' };
      }
    };
    const answer = async (s: Slug) => {
      for (const cve of CVES) await vendor[s].api.put(url(`/vulnerabilities/${state.vulns[cve]}/statement`), plan(s, cve));
    };
    const everyone = slugs();
    let m = await coord.api.get<StatementsOut>(url('/statements'));
    expect(m.vendors.map((x) => x.name).sort()).toEqual(everyone.map(orgName).sort());
    expect(m.missing).toHaveLength(everyone.length * CVES.length);

    // Not affected needs a VEX justification; a vendor states only its own status.
    await vendor.intel.api.expect(400, 'PUT', url(`/vulnerabilities/${state.vulns['CVE-2017-13081']}/statement`), {
      status: 'not_affected',
    });
    await vendor.netgear.api.expect(403, 'PUT', url(`/vulnerabilities/${state.vulns['CVE-2017-13077']}/statement`), {
      orgId: vendor.hostap.orgId,
      status: 'not_affected',
      justification: 'component_not_present',
    });

    const firstHalf: Slug[] = ['hostap', 'microsoft', 'apple', 'google', 'intel', 'openbsd'];
    for (const s of firstHalf) await answer(s);
    // The coordinator records "under investigation" for espressif, which has not answered yet.
    for (const cve of CVES) {
      await coord.api.put(url(`/vulnerabilities/${state.vulns[cve]}/statement`), {
        orgId: vendor.espressif.orgId,
        status: 'under_investigation',
      });
    }
    m = await coord.api.get<StatementsOut>(url('/statements'));
    const stillMissing = everyone.filter((s) => !firstHalf.includes(s) && s !== 'espressif');
    expect([...new Set(m.missing.map((x) => x.orgId))].sort()).toEqual(stillMissing.map((s) => vendor[s].orgId).sort());
    expect(m.missing).toHaveLength(stillMissing.length * CVES.length);

    // A vendor sees its own statements and gaps, nobody else's.
    const mine = await vendor.hostap.api.get<StatementsOut>(url('/statements'));
    expect(mine.vendors).toEqual([{ orgId: vendor.hostap.orgId, name: orgName('hostap') }]);
    expect(mine.statements).toHaveLength(CVES.length);
    expect(mine.statements.every((x) => x.orgId === vendor.hostap.orgId && x.fixedVersions[0] === '2.7')).toBe(true);
    expect(mine.missing).toEqual([]);
    const theirs = await vendor.cisco.api.get<StatementsOut>(url('/statements'));
    expect(theirs.statements).toEqual([]);
    expect(theirs.missing.map((x) => x.orgId)).toEqual(CVES.map(() => vendor.cisco.orgId));
    expect(theirs.vulnerabilities).toHaveLength(CVES.length);

    for (const s of everyone.filter((s) => !firstHalf.includes(s))) await answer(s);
    m = await coord.api.get<StatementsOut>(url('/statements'));
    expect(m.missing).toEqual([]);
    expect(m.statements).toHaveLength(everyone.length * CVES.length);
    const intel81 = m.statements.find(
      (x) => x.orgId === vendor.intel.orgId && x.vulnerabilityId === state.vulns['CVE-2017-13081'],
    );
    expect(intel81).toMatchObject({ status: 'not_affected', justification: 'vulnerable_code_not_present', fixedVersions: [] });
    const esp = m.statements.filter((x) => x.orgId === vendor.espressif.orgId).map((x) => x.status);
    expect(esp).toEqual(CVES.map(() => 'not_affected')); // its own answer replaced the coordinator's
    const counts = m.statements.reduce<Record<string, number>>((acc, x) => {
      acc[x.status] = (acc[x.status] ?? 0) + 1;
      return acc;
    }, {});
    expect(counts).toEqual({ affected: 25, fixed: 20, not_affected: 6, under_investigation: 9 });

    // Vendors still see only their own; statement entries on the timeline are addressed to their vendor.
    for (const s of everyone) {
      const own = await vendor[s].api.get<StatementsOut>(url('/statements'));
      expect(new Set(own.statements.map((x) => x.orgId)), s).toEqual(new Set([vendor[s].orgId]));
      const made = (await timeline(vendor[s])).filter((x) => x.kind === 'statement.made');
      expect(made.length, s).toBeGreaterThanOrEqual(CVES.length);
      expect(new Set(made.map((x) => x.data.orgId)), s).toEqual(new Set([vendor[s].orgId]));
    }
  });

  it('fix ready and deployed: the vendor fix path, with deployed-before-ready refused and nothing changed', async () => {
    v.clock.advance(DAY);
    const state1 = async (p: Party, event: string, orgId?: string) =>
      (await p.api.post<{ state: string }>(url('/state'), { event, ...(orgId ? { orgId } : {}) })).state;
    for (const s of ['hostap', 'microsoft', 'openbsd', 'mikrotik', 'ubiquiti'] as const) {
      expect(await state1(vendor[s], 'F'), s).toBe('VFd');
    }
    expect(await state1(vendor.apple, 'F')).toBe('VFd');
    expect(await state1(vendor.google, 'F')).toBe('VFd');
    // The coordinator records intel's fix for it.
    expect(await state1(coord, 'F', vendor.intel.orgId)).toBe('VFd');
    v.clock.advance(6 * HOUR);
    for (const s of ['hostap', 'microsoft', 'openbsd', 'mikrotik'] as const) expect(await state1(vendor[s], 'D'), s).toBe('VFD');

    // cisco has no fix: D before F is refused and leaves everything as it was.
    const before = await caseSnapshot(v, state.caseId);
    expectConflict(await vendor.cisco.api.raw('POST', url('/state'), { event: 'D' }), 'D before F');
    expectConflict(await vendor.hostap.api.raw('POST', url('/state'), { event: 'F' }), 'F twice');
    expect(await caseSnapshot(v, state.caseId)).toEqual(before);
    const cisco = await participant('cisco');
    expect([cisco.fixReadyAt, cisco.fixDeployedAt]).toEqual([null, null]);
    // A vendor records only its own fix status.
    await vendor.netgear.api.expect(403, 'POST', url('/state'), { event: 'F', orgId: vendor.hostap.orgId });
    // Public events are the coordinator's.
    await vendor.hostap.api.expect(403, 'POST', url('/state'), { event: 'P' });

    const view = await caseAs(coord);
    const vfd = (s: Slug) => {
      const p = view.participants.find((x) => x.orgId === vendor[s].orgId);
      return `${p?.vendorAwareAt ? 'V' : 'v'}${p?.fixReadyAt ? 'F' : 'f'}${p?.fixDeployedAt ? 'D' : 'd'}`;
    };
    expect(Object.fromEntries(slugs().map((s) => [s, vfd(s)]))).toEqual({
      hostap: 'VFD',
      microsoft: 'VFD',
      apple: 'VFd',
      google: 'VFd',
      cisco: 'Vfd',
      intel: 'VFd',
      openbsd: 'VFD',
      debian: 'Vfd',
      netgear: 'Vfd',
      ubiquiti: 'VFd',
      mikrotik: 'VFD',
      espressif: 'Vfd',
    });
  });

  it('messages: by TLP and audience, each party reads exactly what it may', async () => {
    v.clock.advance(HOUR);
    const post = async (p: Party, key: string, body: Record<string, unknown>) => {
      const m = await p.api.post<MessageOut>(url('/messages'), { subject: key, body: `${key} body`, ...body }, 201);
      state.messages[key] = m;
      return m;
    };
    await post(coord, 'M1 technical details', { tlp: 'RED' });
    await post(coord, 'M2 draft advisory', { tlp: 'TLP:AMBER' });
    await post(coord, 'M3 timeline', { tlp: 'GREEN' });
    await post(coord, 'M4 public FAQ', { tlp: 'CLEAR' });
    await post(coord, 'M5 patch review for hostap', { tlp: 'RED', audience: 'org', audienceOrgId: vendor.hostap.orgId });
    await post(coord, 'M6 netgear products', { tlp: 'GREEN', audience: 'org', audienceOrgId: vendor.netgear.orgId });
    await post(vendor.hostap, 'M7 hostap question', { tlp: 'RED', audience: 'org', audienceOrgId: vendor.hostap.orgId });
    await post(vendor.netgear, 'M8 netgear status', { tlp: 'AMBER' });
    await post(vendor.apple, 'M9 apple reply', { tlp: 'RED', threadId: state.messages['M1 technical details']?.id ?? '' });
    expect(state.messages['M9 apple reply']?.threadId).toBe(state.messages['M1 technical details']?.id);
    await post(vendor.ubiquiti, 'M10 ubiquiti note', { tlp: 'GREEN' });

    // Refused: above one's own ceiling; addressed to another participant; replying to a thread one cannot read.
    await vendor.netgear.api.expect(403, 'POST', url('/messages'), { subject: 'x', body: 'x', tlp: 'RED' });
    await vendor.apple.api.expect(403, 'POST', url('/messages'), {
      subject: 'x',
      body: 'x',
      tlp: 'GREEN',
      audience: 'org',
      audienceOrgId: vendor.hostap.orgId,
    });
    const hiddenThread = await vendor.netgear.api.raw('POST', url('/messages'), {
      subject: 'x',
      body: 'x',
      tlp: 'GREEN',
      threadId: state.messages['M1 technical details']?.id,
    });
    const unknownThread = await vendor.netgear.api.raw('POST', url('/messages'), {
      subject: 'x',
      body: 'x',
      tlp: 'GREEN',
      threadId: randomId(),
    });
    expect(hiddenThread.statusCode).toBe(400);
    expect(hiddenThread.json().errors).toEqual(unknownThread.json().errors);

    const all = Object.keys(state.messages).sort();
    const pick = (...prefixes: string[]) => all.filter((k) => prefixes.some((p) => k.startsWith(`${p} `))).sort();
    expect(await subjects(coord)).toEqual(all);
    expect(await subjects(vendor.hostap)).toEqual(pick('M1', 'M2', 'M3', 'M4', 'M5', 'M7', 'M8', 'M9', 'M10'));
    expect(await subjects(vendor.apple)).toEqual(pick('M1', 'M2', 'M3', 'M4', 'M8', 'M9', 'M10'));
    expect(await subjects(vendor.netgear)).toEqual(pick('M2', 'M3', 'M4', 'M6', 'M8', 'M10'));
    expect(await subjects(vendor.mikrotik)).toEqual(pick('M2', 'M3', 'M4', 'M8', 'M10'));
    // Everyone else by the rule: addressed to all or to them, at or below their ceiling (or their own).
    const order = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
    for (const s of slugs()) {
      const me = vendor[s].orgId;
      const expected = all.filter((k) => {
        const m = state.messages[k] as MessageOut;
        if (m.authorOrgId === me) return true;
        if (m.audience === 'org' && m.audienceOrgId !== me) return false;
        return order.indexOf(m.tlp) <= order.indexOf(ceilingOf(s));
      });
      expect(await subjects(vendor[s]), s).toEqual(expected);
    }

    // The reporter and the coordinator talk on the report's thread, which no vendor sees.
    const reporter = Api.anonymous(v, 'reporter');
    await coord.api.post(
      `/api/v1/reports/${state.report.id}/messages`,
      { body: `Case ${state.caseRef} is open; twelve vendors are in. May we credit you by name?` },
      201,
    );
    v.clock.advance(HOUR);
    await reporter.post(`/api/v1/reply/${state.report.replyToken}/messages`, { body: 'Yes, please credit me.' }, 201);
    const thread = await coord.api.get<Array<{ fromReporter: boolean; body: string }>>(
      `/api/v1/reports/${state.report.id}/messages`,
    );
    expect(thread.map((m) => m.fromReporter)).toEqual([false, true]);
    const mine = await reporter.get<{ messages: Array<{ fromReporter: boolean; body: string }> }>(
      `/api/v1/reply/${state.report.replyToken}`,
    );
    expect(mine.messages).toEqual(thread);
    await vendor.hostap.api.expect(404, 'GET', `/api/v1/reports/${state.report.id}/messages`);
  });

  it('removal: a removed vendor loses access at once; the others no longer see it', async () => {
    const removed = vendor[REMOVED];
    // Before: it reads the case and a RED message.
    expect((await removed.api.get<MessageOut[]>(url('/messages'))).map((m) => m.subject)).toContain('M1 technical details');
    const embargoBefore = await embargo(coord);
    v.clock.advance(HOUR);
    await coord.api.delete(url(`/participants/${removed.orgId}`), { reason: 'Left the embargo early in a prior case.' });

    const randomCase = `/api/v1/cases/${randomId()}`;
    for (const tail of [
      '',
      '/timeline',
      '/messages',
      '/artifacts',
      '/embargo',
      '/vulnerabilities',
      '/statements',
      '/desiderata',
    ]) {
      expectHidden(
        await removed.api.raw('GET', url(tail)),
        await removed.api.raw('GET', `${randomCase}${tail}`),
        `removed GET ${tail}`,
      );
    }
    expectHidden(
      await removed.api.raw('POST', url('/messages'), { subject: 'x', body: 'x', tlp: 'GREEN' }),
      await removed.api.raw('POST', `${randomCase}/messages`, { subject: 'x', body: 'x', tlp: 'GREEN' }),
      'removed POST message',
    );
    const r2 = embargoBefore.active?.id ?? '';
    expect(r2).toBe(state.r2);
    expectHidden(
      await removed.api.raw('POST', url(`/embargo/proposals/${r2}/accept`)),
      await removed.api.raw('POST', `${randomCase}/embargo/proposals/${r2}/accept`),
      'removed embargo accept',
    );
    expect(await listRow(removed)).toBeUndefined();

    // The coordinator still sees it, as removed; other participants do not see it at all.
    expect((await participant(REMOVED)).removedAt).not.toBeNull();
    for (const s of ['hostap', 'netgear'] as const) {
      expect((await caseAs(vendor[s])).participants.map((p) => p.orgId)).not.toContain(removed.orgId);
    }
    // Its statements no longer count; nobody is missing.
    const m = await coord.api.get<StatementsOut>(url('/statements'));
    expect(m.vendors.map((x) => x.orgId)).not.toContain(removed.orgId);
    expect(m.missing).toEqual([]);
    state.embargoBeforeRemoval = embargoBefore;
    // The agreed terms themselves still stand.
    expect(await embargo(coord)).toMatchObject({ state: 'A', history: 'paprpa', releaseAt: state.r2Release });
  });

  // The embargo view is re-derived from the event log with every participant the case ever had, so
  // a removed participant's past answers (here ubiquiti's acceptance of the first proposal) stay
  // in the record, and terms it proposed stay in force.
  it('removing a participant does not rewrite the embargo negotiation record', async () => {
    const after = await embargo(coord);
    expect(after.proposals).toEqual(state.embargoBeforeRemoval?.proposals);
  });

  it('the timeline: key events in order; vendors see only what is addressed to everyone or to them', async () => {
    const all = await timeline(coord);
    const kinds = all.map((e) => e.kind);
    expect(
      inOrder(kinds, [
        'case.opened',
        'vulnerability.added',
        'participant.invited',
        'participant.acknowledged',
        'participant.rm',
        'embargo.propose',
        'embargo.accept',
        'embargo.reject',
        'embargo.propose',
        'embargo.reject',
        'embargo.propose',
        'embargo.accept',
        'participant.invited',
        'statement.made',
        'case-state.vendor',
        'message.posted',
        'participant.removed',
      ]),
      kinds.join(', '),
    ).toBe(true);
    expect(kinds.filter((k) => k === 'vulnerability.added')).toHaveLength(5);
    expect(kinds.filter((k) => k === 'participant.invited')).toHaveLength(12);
    expect(kinds.filter((k) => k === 'statement.made')).toHaveLength(12 * 5 + 5);
    // Entries come in time order.
    const times = all.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // What each vendor sees is exactly: entries to everyone, entries addressed to it, its own.
    const rows = await v.db
      .selectFrom('case_events')
      .select(['id', 'audience', 'audience_org_id', 'actor_org_id', 'tlp'])
      .where('case_id', '=', state.caseId)
      .orderBy('id')
      .execute();
    const ORDER = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
    for (const s of active()) {
      const me = vendor[s].orgId;
      // An entry about a labelled item (a message, an artifact) carries its label: above the ceiling, it is not shown.
      const within = (tlp: string) => ORDER.indexOf(tlp) <= ORDER.indexOf(ceilingOf(s));
      const expected = rows
        .filter(
          (r) =>
            r.actor_org_id === me ||
            ((r.audience === 'all' || (r.audience === 'org' && r.audience_org_id === me)) && within(r.tlp)),
        )
        .map((r) => String(r.id));
      const seen = (await timeline(vendor[s])).map((e) => String(e.id));
      expect(seen, s).toEqual(expected);
    }
    // e.g. hostap does not see netgear's message or statements, and netgear not hostap's.
    const hostapSees = await timeline(vendor.hostap);
    const netgearSees = await timeline(vendor.netgear);
    const about = (t: TimelineEntry[], key: string) => t.some((e) => e.data.messageId === state.messages[key]?.id);
    expect(about(hostapSees, 'M6 netgear products')).toBe(false);
    expect(about(hostapSees, 'M5 patch review for hostap')).toBe(true);
    expect(about(netgearSees, 'M5 patch review for hostap')).toBe(false);
    expect(about(netgearSees, 'M7 hostap question')).toBe(false);
    expect(netgearSees.some((e) => e.kind === 'statement.made' && e.data.orgId === vendor.hostap.orgId)).toBe(false);
  });

  it('release: past the date the embargo ends, the public is aware, and the desiderata score what happened', async () => {
    // The date passes; the case owner ends the embargo as expired and records public awareness.
    v.clock.set(new Date(Date.parse(state.r2Release) + HOUR));
    expect((await embargo(coord)).state).toBe('A');
    let e = await coord.api.post<EmbargoOut>(url('/embargo/terminate'), { reason: 'expired' });
    expect(e).toMatchObject({
      state: 'X',
      history: 'paprpat',
      releaseAt: null,
      termination: { reason: 'expired', early: false },
    });
    expect(await coord.api.post(url('/state'), { event: 'P' })).toEqual({ state: 'Pxa' });
    expectConflict(await coord.api.raw('POST', url('/state'), { event: 'P' }), 'P twice');
    const c = await caseAs(vendor.hostap);
    expect(c).toMatchObject({ emState: 'X', embargoEndedReason: 'expired', releaseAt: null });
    expect(c.publicAwareAt).not.toBeNull();
    e = await embargo(vendor.netgear);
    expect(e.state).toBe('X');

    // cisco's fix comes after the public knew: F≺P stays missed for it.
    v.clock.advance(DAY);
    expect(await vendor.cisco.api.post(url('/state'), { event: 'F' })).toEqual({ state: 'VFd' });

    const d = await vendor.netgear.api.get<DesiderataOut>(url('/desiderata'));
    expect(await coord.api.get<DesiderataOut>(url('/desiderata'))).toEqual(d);
    const status = (id: string, s: Slug) => d.rows.find((r) => r.id === id && r.participant === vendor[s].orgId)?.status;
    const fixed: Slug[] = ['hostap', 'microsoft', 'apple', 'google', 'intel', 'openbsd', 'mikrotik'];
    const deployed: Slug[] = ['hostap', 'microsoft', 'openbsd', 'mikrotik'];
    for (const s of active()) {
      expect(status('V≺P', s), `V≺P ${s}`).toBe('met');
      expect(status('F≺P', s), `F≺P ${s}`).toBe(fixed.includes(s) ? 'met' : 'missed');
      expect(status('D≺P', s), `D≺P ${s}`).toBe(deployed.includes(s) ? 'met' : 'missed');
      // Nothing exploited publicly yet: V≺X met; F≺X met once fixed, else undetermined.
      expect(status('V≺X', s), `V≺X ${s}`).toBe('met');
      expect(status('F≺X', s), `F≺X ${s}`).toBe(fixed.includes(s) || s === 'cisco' ? 'met' : 'undetermined');
    }
    // The removed vendor is not scored.
    expect(d.rows.some((r) => r.participant === vendor[REMOVED].orgId)).toBe(false);
    const caseRow = (id: string) => d.rows.find((r) => r.id === id && r.scope === 'case')?.status;
    expect([caseRow('P≺X'), caseRow('P≺A'), caseRow('X≺A')]).toEqual(['met', 'met', 'undetermined']);
    const n = active().length;
    expect(d.summary.find((x) => x.id === 'F≺P')).toEqual({
      id: 'F≺P',
      met: fixed.length,
      missed: n - fixed.length,
      undetermined: 0,
    });
    expect(d.summary.find((x) => x.id === 'D≺P')).toEqual({
      id: 'D≺P',
      met: deployed.length,
      missed: n - deployed.length,
      undetermined: 0,
    });

    // The end of the story, on the timeline.
    const kinds = (await timeline(vendor.debian)).map((x) => x.kind);
    expect(kinds.slice(-3)).toEqual(['embargo.terminate', 'case-state.public', 'case-state.vendor']);
  });

  it('mail: the reporter got the private link; every vendor its invitation; message notices only where the message may be read', async () => {
    const reporter = 'mathy@reporter.example';
    // The outbox job delivers asynchronously: wait for the last kinds of mail the story caused.
    await sink.waitFor((ms) => ms.some((m) => m.to.includes(reporter) && /replied/.test(m.subject)), 20_000);
    const ack = mailTo(reporter).find((m) => m.subject.includes('We received your report'));
    expect(ack?.subject).toContain(state.report.ref);
    expect(ack?.text).toContain(state.report.replyUrl);

    for (const s of slugs()) {
      const inbox = await sink.waitFor(() => mailTo(`admin@${s}.example`).some((m) => /is invited/.test(m.subject)), 20_000);
      expect(inbox.length).toBeGreaterThan(0);
    }

    // One "new message" notice per message a vendor may read and did not write, at posting time
    // (the removed vendor was still in the case then).
    const order = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
    const expectedNotices = (s: Slug) =>
      Object.values(state.messages).filter((m) => {
        const me = vendor[s].orgId;
        if (m.authorOrgId === me) return false;
        if (m.audience === 'org' && m.audienceOrgId !== me) return false;
        return order.indexOf(m.tlp) <= order.indexOf(ceilingOf(s));
      }).length;
    const notices = (s: Slug) => mailTo(`admin@${s}.example`).filter((m) => /a new message is waiting/.test(m.subject)).length;
    await sink.waitFor(() => slugs().every((s) => notices(s) >= expectedNotices(s)), 20_000);
    for (const s of slugs()) expect(notices(s), s).toBe(expectedNotices(s));
    expect(notices('hostap')).toBeGreaterThan(notices('netgear'));

    // Mail never carries case content: no message body, no title, no vulnerability text.
    for (const m of sink.messages) {
      for (const msg of Object.values(state.messages)) expect(m.text).not.toContain(msg.body);
      expect(m.text).not.toContain('nonce');
    }
    // One message per recipient: nobody sees another recipient's address.
    for (const m of sink.messages) expect(m.to).toHaveLength(1);
  });
});

// The acknowledgement reminder, run by the real job queue. The job's runAt is invited + ack_hours
// by the app's ManualClock, but pg-boss starts a job when the *database's* clock passes runAt. So
// this village's ManualClock is set ack_hours (1 h, the minimum) minus a few seconds behind real
// time just before the invitations: runAt then falls a few seconds into the real future, the
// acknowledging vendor has time to answer, and the queue (polling every 0.5 s) runs the reminder
// for the one that did not. The reminder schedules the escalation ack_hours after *its* (manual)
// now, which again lands a few seconds ahead, so both stages run within the test.
// (Invoking the registered handler directly would skip the scheduling and the queue; this runs the
// path production runs.)
describe('unacknowledged invitations: reminder, then escalation, through the job queue', () => {
  let w: TestVillage;
  let c: Party;
  let quick: Party;
  let silent: Party;
  let caseId = '';

  let mail: SmtpSink;

  beforeAll(async () => {
    mail = await startSmtpSink();
    w = await startTestVillage({ env: { VILLAGE_SMTP_URL: mail.url } });
    [c, quick, silent] = await Promise.all([
      partyWithAdmin(w, 'coord-r', 'coordinator'),
      partyWithAdmin(w, 'quick', 'vendor'),
      partyWithAdmin(w, 'silent', 'vendor'),
    ]);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
    await mail?.close();
  });

  async function waitForKind(p: Party, kind: string, timeoutMs = 20_000): Promise<TimelineEntry[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = await p.api.get<TimelineEntry[]>(`/api/v1/cases/${caseId}/timeline`);
      if (t.some((e) => e.kind === kind)) return t;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${kind}: ${t.map((e) => e.kind).join(', ')}`);
      await sleep(200);
    }
  }

  it('reminds the participant that has not acknowledged, then escalates to the coordinator', async () => {
    const lead = 4_000;
    w.clock.set(new Date(Date.now() - HOUR + lead));
    caseId = (await openCase(c.api, { title: 'Reminder drill', ackHours: 1 })).id;
    await invite(c.api, caseId, quick.orgId);
    await invite(c.api, caseId, silent.orgId);
    await quick.api.post(`/api/v1/cases/${caseId}/acknowledge`);
    const row = (await c.api.get<CaseListRow[]>('/api/v1/cases')).find((x) => x.id === caseId);
    expect(row).toMatchObject({ pendingAcks: 1, nextDeadlineKind: 'acknowledgement due' });

    const t = await waitForKind(c, 'participant.escalated');
    const reminded = t.filter((e) => e.kind === 'participant.reminded');
    expect(reminded.map((e) => e.data.orgId)).toEqual([silent.orgId]);
    expect(t.filter((e) => e.kind === 'participant.escalated').map((e) => e.data.orgId)).toEqual([silent.orgId]);
    expect(
      inOrder(
        t.map((e) => e.kind),
        ['participant.reminded', 'participant.escalated'],
      ),
    ).toBe(true);

    // The reminder is addressed to the silent participant; the escalation is the coordinator's.
    const silentSees = (await silent.api.get<TimelineEntry[]>(`/api/v1/cases/${caseId}/timeline`)).map((e) => e.kind);
    expect(silentSees).toContain('participant.reminded');
    expect(silentSees).not.toContain('participant.escalated');
    const quickSees = (await quick.api.get<TimelineEntry[]>(`/api/v1/cases/${caseId}/timeline`)).map((e) => e.kind);
    expect(quickSees).not.toContain('participant.reminded');
    expect(quickSees).not.toContain('participant.escalated');

    const parts = await w.db
      .selectFrom('case_participants')
      .select(['org_id', 'reminded_at', 'escalated_at'])
      .where('case_id', '=', caseId)
      .execute();
    const byOrg = Object.fromEntries(parts.map((p) => [p.org_id, p]));
    expect(byOrg[silent.orgId]?.reminded_at).not.toBeNull();
    expect(byOrg[silent.orgId]?.escalated_at).not.toBeNull();
    expect(byOrg[quick.orgId]?.reminded_at).toBeNull();
    expect(byOrg[quick.orgId]?.escalated_at).toBeNull();
    // Still unacknowledged: still counted.
    expect((await c.api.get<CaseListRow[]>('/api/v1/cases')).find((x) => x.id === caseId)?.pendingAcks).toBe(1);

    // By mail: the silent vendor was reminded, the coordinator told; the quick vendor neither.
    // Each mail is its own job: the two may arrive in either order, so wait for both.
    const got = await mail.waitFor(
      (ms) =>
        ms.some((m) => m.to.includes('admin@coord-r.example') && /needs coordinator attention/.test(m.subject)) &&
        ms.some((m) => m.to.includes('admin@silent.example') && /acknowledgement of the invitation/.test(m.subject)),
      20_000,
    );
    const to = (a: string) => got.filter((m) => m.to.includes(a)).map((m) => m.subject);
    expect(to('admin@silent.example').some((x) => /acknowledgement of the invitation/.test(x))).toBe(true);
    expect(to('admin@quick.example').some((x) => /acknowledgement|attention/.test(x))).toBe(false);
    expect(to('admin@coord-r.example').filter((x) => /needs coordinator attention/.test(x))).toHaveLength(1);
  });
});
