// Trust communities and tents, end to end over the API: a community founded with stewards and an
// admission rule; organizations apply, are sponsored, approved and admitted; the NDA is accepted
// (and again when a new version is published) before anything is read; a case opens with the
// community's tents; the release date moves the tents; tents open on schedule (by the sweep, and by
// the real durable job) and early with a reason, each newcomer briefed; suspension and ejection cut
// access at once, sessions and tokens included, and the coordinator learns what was seen.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDueTents } from '../src/services/tents.ts';
import { createToken } from '../src/services/tokens.ts';
import { startTestVillage, type TestVillage } from './support/app.ts';
import { Api, expectConflict, invite, openCase, type Party, partyWithAdmin } from './support/cases.ts';
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.ts';

const DAY = 86_400_000;

interface TentOut {
  id: string;
  name: string;
  openedAt: string | null;
  scheduledAt: string | null;
  tlpCeiling: string;
  openedEarly: { reason: string } | null;
}
interface MembershipOut {
  member: { state: string; tier: string | null; functions: string[] } | null;
  history: Array<{ type: string; to: string; derived: boolean; reason: string | null }>;
  admission: { satisfied: boolean; missing: string[] } | null;
}
interface Nda {
  version: number;
  hash: string;
  text: string;
  acceptedAt: string | null;
}

let v: TestVillage;
let sink: SmtpSink;
let operator: Api;
let coord: Party;
let v1: Party; // founding member, fix provider
let v2: Party; // admitted by sponsorship and approval; later ejected
let enabler: Party; // an OEM: admitted, function "enabler"
let cert: Party; // a government CERT of DE
let communityId = '';
let caseId = '';
const cm = (rest = '') => `/api/v1/communities/${communityId}${rest}`;
const cs = (rest = '') => `/api/v1/cases/${caseId}${rest}`;

/** The clock moved days ahead: sessions idle that long expired, so everyone signs in again. */
async function signInAgain(): Promise<void> {
  const { signIn } = await import('./support/app.ts');
  for (const p of [coord, v1, v2, enabler, cert]) p.api = Api.session(p.slug, await signIn(v, `admin@${p.slug}.example`));
}

async function acceptNda(p: Party): Promise<Nda> {
  const nda = await p.api.get<Nda>(cm('/nda'));
  return p.api.post<Nda>(cm(`/nda/${nda.version}/accept`), { hash: nda.hash });
}

async function admit(applicant: Party, sponsor: Party): Promise<MembershipOut> {
  await applicant.api.post(cm(`/members/${applicant.orgId}/events`), { type: 'apply', reason: 'we ship affected firmware' });
  await sponsor.api.post(cm(`/members/${applicant.orgId}/events`), { type: 'sponsor' });
  return coord.api.post<MembershipOut>(cm(`/members/${applicant.orgId}/events`), { type: 'approve' });
}

beforeAll(async () => {
  sink = await startSmtpSink();
  v = await startTestVillage({ env: { VILLAGE_SMTP_URL: sink.url, VILLAGE_LOGIN_IP_LIMIT: '100000' } });
  coord = await partyWithAdmin(v, 'cc', 'coordinator');
  v1 = await partyWithAdmin(v, 'vendor-one');
  v2 = await partyWithAdmin(v, 'vendor-two');
  enabler = await partyWithAdmin(v, 'oem-enabler', 'other');
  cert = await partyWithAdmin(v, 'cert-de', 'cert');
  const { makeUser, signIn } = await import('./support/app.ts');
  await makeUser(v, coord.orgId, 'operator@cc.example', { operator: true });
  operator = Api.session('operator', await signIn(v, 'operator@cc.example'));
}, 60_000);
afterAll(async () => {
  await v?.close();
  await sink?.close();
});

describe('a community and its members', () => {
  it('is founded by an operator with stewards, rules and founding members', async () => {
    const c = await operator.post<{ id: string; tiers: string[]; members: number }>(
      '/api/v1/communities',
      {
        slug: 'router-vendors',
        name: 'Router vendors',
        settings: {
          charter: 'Router vendors coordinate embedded-TLS bugs together.',
          tiers: ['core', 'partner', 'observer'],
          embargo: { defaultDays: 45, maxDays: 120 },
          admission: { kind: 'sponsors', sponsors: 1, stewardApproval: true },
          governmentCerts: { certs: [{ kind: 'country', country: 'DE' }], notify: { when: 'release-minus-days', days: 7 } },
        },
        stewardUserIds: [coord.userId],
        founderOrgIds: [coord.orgId, v1.orgId],
      },
      201,
    );
    communityId = c.id;
    expect(c.members).toBe(2);
    // Only operators found communities.
    await coord.api.expect(403, 'POST', '/api/v1/communities', {
      slug: 'not-mine',
      name: 'Not mine',
      settings: {
        charter: 'x',
        tiers: ['core'],
        embargo: { defaultDays: 30, maxDays: 60 },
        admission: { kind: 'steward-vote', quorum: { kind: 'count', count: 1 } },
        governmentCerts: { certs: [], notify: { when: 'at-release' } },
      },
      stewardUserIds: [coord.userId],
    });
  });

  it('admits by the rule: an application, a sponsor, then a steward’s approval; every step recorded', async () => {
    await v2.api.post(cm(`/members/${v2.orgId}/events`), { type: 'apply', reason: 'we ship the parser' });
    // Not yet: a steward cannot admit while the rule is unmet, and nobody sponsors themselves.
    expectConflict(await coord.api.raw('POST', cm(`/members/${v2.orgId}/events`), { type: 'admit' }), 'admit too early');
    await v2.api.expect(403, 'POST', cm(`/members/${v2.orgId}/events`), { type: 'sponsor' }); // not admitted yet
    // An admitted member's admin sees the open application (to sponsor it); the applicant sees no roster.
    const seen = await v1.api.get<Array<{ orgId: string; state: string }>>(cm('/members'));
    expect(seen.find((x) => x.orgId === v2.orgId)?.state).toBe('applied');
    await v2.api.expect(403, 'GET', cm('/members'));
    await v1.api.post(cm(`/members/${v2.orgId}/events`), { type: 'sponsor', reason: 'long-time partner' });
    await v1.api.expect(403, 'POST', cm(`/members/${v2.orgId}/events`), { type: 'approve' }); // not a steward
    const m = await coord.api.post<MembershipOut>(cm(`/members/${v2.orgId}/events`), { type: 'approve' });
    expect(m.member?.state).toBe('admitted');
    expect(m.history.map((h) => `${h.type}:${h.to}${h.derived ? '*' : ''}`)).toEqual([
      'apply:applied',
      'sponsor:sponsored',
      'approve:sponsored',
      'admit:admitted*',
    ]);
    expect((await admit(enabler, v1)).member?.state).toBe('admitted');
    expect((await admit(cert, v2)).member?.state).toBe('admitted');
    await coord.api.expect(200, 'PATCH', cm(`/members/${enabler.orgId}`), { tier: 'partner', functions: ['enabler'] });
    await coord.api.expect(200, 'PATCH', cm(`/members/${cert.orgId}`), { functions: ['government-cert'] });
    await cert.api.expect(200, 'PATCH', `/api/v1/orgs/${cert.orgId}`, { country: 'DE' });
    // Members see members; a steward sees the lot; an outsider's tier request is refused.
    const members = await v1.api.get<Array<{ orgId: string; state: string }>>(cm('/members'));
    expect(members.map((x) => x.state)).toEqual(['admitted', 'admitted', 'admitted', 'admitted', 'admitted']);
    await coord.api.expect(400, 'PATCH', cm(`/members/${enabler.orgId}`), { tier: 'platinum' });
  });

  it('keeps the NDA versioned and hashed; acceptance names the exact text', async () => {
    const nda = await coord.api.post<Nda>(cm('/nda'), { text: 'We keep embargoed details to ourselves.\r\n' }, 201);
    expect(nda).toMatchObject({ version: 1, text: 'We keep embargoed details to ourselves.\n' });
    expect(nda.hash).toMatch(/^[0-9a-f]{64}$/);
    expectConflict(await coord.api.raw('POST', cm('/nda'), { text: 'We keep embargoed details to ourselves.\n' }), 'same text');
    expectConflict(await v1.api.raw('POST', cm('/nda/1/accept'), { hash: '0'.repeat(64) }), 'wrong hash');
    await acceptNda(coord);
    const acc = await coord.api.get<Array<{ orgId: string; version: number }>>(cm('/nda/acceptances'));
    expect(acc).toEqual([expect.objectContaining({ orgId: coord.orgId, version: 1 })]);
  });
});

describe('tents in a case', () => {
  it('a case in the community starts with its tents; fix providers are in at once', async () => {
    // The coordinator's address book: every organization (a vendor still sees only its own).
    const directory = await coord.api.get<Array<{ id: string }>>('/api/v1/orgs');
    expect(directory.map((o) => o.id)).toEqual(expect.arrayContaining([v1.orgId, v2.orgId, enabler.orgId, cert.orgId]));
    expect((await v1.api.get<Array<{ id: string }>>('/api/v1/orgs')).map((o) => o.id)).toEqual([v1.orgId]);
    caseId = (await openCase(coord.api, { title: 'Overflow in the shared TLS parser' })).id;
    await v.db.updateTable('cases').set({ community_id: communityId }).where('id', '=', caseId).execute();
    // Through the API, a case opened with a community gets the template (checked on a second case).
    const second = await coord.api.post<{ id: string }>('/api/v1/cases', { title: 'Second', reportIds: [], communityId }, 201);
    const tents = await coord.api.get<TentOut[]>(`/api/v1/cases/${second.id}/tents`);
    expect(tents.map((t) => [t.id, t.tlpCeiling, t.openedAt !== null])).toEqual([
      ['fix-providers', 'RED', true],
      ['enablers', 'AMBER', false],
      ['affinity', 'AMBER', false],
      ['gov-certs', 'GREEN', false],
      ['everyone', 'CLEAR', false],
    ]);
    caseId = second.id;
    await invite(coord.api, caseId, v1.orgId);
    await invite(coord.api, caseId, v2.orgId, { tlpCeiling: 'AMBER' });
    await coord.api.post(
      cs('/vulnerabilities'),
      { title: 'Heap overflow in record length', cvss31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      201,
    );
    await coord.api.post(cs('/messages'), { subject: 'PoC', body: 'exploit details', tlp: 'RED' }, 201);
    await coord.api.post(cs('/messages'), { subject: 'Plan', body: 'fix by spring', tlp: 'AMBER' }, 201);
  });

  it('nothing is read before the current NDA is accepted: a 403 that names the version', async () => {
    const res = await v1.api.raw('GET', cs());
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).toMatchObject({ type: 'urn:village:problem:nda-required', nda: { communityId, version: 1 } });
    // Listed, but without its title, until then.
    const list = await v1.api.get<Array<{ id: string; title: string; ndaRequired: unknown }>>('/api/v1/cases');
    expect(list.find((c) => c.id === caseId)).toMatchObject({ title: '', ndaRequired: { version: 1 } });
    for (const p of [v1, v2, enabler, cert]) await acceptNda(p);
    await v1.api.get(cs());
    expect((await v1.api.get<TentOut[]>(cs('/tents'))).map((t) => t.id)).toEqual(['fix-providers']);
  });

  it('an organization whose tent has not opened cannot tell the case exists', async () => {
    const hidden = await enabler.api.raw('GET', cs());
    expect(hidden.statusCode).toBe(404);
    expect((await enabler.api.get<Array<{ id: string }>>('/api/v1/cases')).some((c) => c.id === caseId)).toBe(false);
  });

  it('tents follow the release date; open ones stay open', async () => {
    const now = v.clock.now().getTime();
    const release = new Date(now + 30 * DAY);
    const p = await coord.api.post<{ pending: { id: string } }>(cs('/embargo/proposals'), { releaseAt: release.toISOString() });
    await coord.api.post(cs(`/embargo/proposals/${p.pending.id}/accept`));
    const at = (tents: TentOut[], id: string) => tents.find((t) => t.id === id)?.scheduledAt;
    let tents = await coord.api.get<TentOut[]>(cs('/tents'));
    expect(at(tents, 'enablers')).toBe(new Date(release.getTime() - 14 * DAY).toISOString());
    expect(at(tents, 'affinity')).toBe(new Date(release.getTime() - 3 * DAY).toISOString());
    expect(at(tents, 'gov-certs')).toBe(new Date(release.getTime() - 7 * DAY).toISOString());
    expect(at(tents, 'everyone')).toBe(release.toISOString());
    const fixOpened = tents.find((t) => t.id === 'fix-providers')?.openedAt;
    // A revision moves the release ten days: the closed tents move with it.
    const later = new Date(release.getTime() + 10 * DAY);
    const r = await coord.api.post<{ pending: { id: string } }>(cs('/embargo/proposals'), { releaseAt: later.toISOString() });
    await coord.api.post(cs(`/embargo/proposals/${r.pending.id}/accept`));
    tents = await coord.api.get<TentOut[]>(cs('/tents'));
    expect(at(tents, 'enablers')).toBe(new Date(later.getTime() - 14 * DAY).toISOString());
    expect(tents.find((t) => t.id === 'fix-providers')?.openedAt).toBe(fixOpened);
    const timeline = await coord.api.get<Array<{ kind: string }>>(cs('/timeline'));
    expect(timeline.some((e) => e.kind === 'tents.rescheduled')).toBe(true);
  });

  it('a tent opens on schedule: newcomers join, are briefed and told, and see only what its ceiling allows', async () => {
    const c = await v.db.selectFrom('cases').select('release_at').where('id', '=', caseId).executeTakeFirstOrThrow();
    const release = (c.release_at as Date).getTime();
    v.clock.set(new Date(release - 14 * DAY + 60_000));
    await signInAgain();
    sink.reset();
    expect(await openDueTents(v.ctx)).toBe(1);
    expect(await openDueTents(v.ctx)).toBe(0); // once
    const list = await enabler.api.get<Array<{ id: string; myRole: string }>>('/api/v1/cases');
    expect(list.find((x) => x.id === caseId)).toMatchObject({ myRole: 'other' });
    const mail = await sink.waitFor((ms) => ms.some((m) => m.to.includes('admin@oem-enabler.example')));
    const notice = mail.find((m) => m.to.includes('admin@oem-enabler.example'));
    expect(notice?.subject).toMatch(/brought into a coordinated disclosure case/);
    expect(notice?.text).not.toMatch(/Heap overflow|exploit details/); // no case content in mail
    const briefing = await enabler.api.get<{
      packet: { recipient: { tents: string[]; tlpCeiling: string }; vulnerabilities: unknown[]; statements: unknown };
      text: string;
    }>(cs('/briefing'));
    expect(briefing.packet.recipient).toMatchObject({ tents: ['enablers'], tlpCeiling: 'AMBER' });
    expect(briefing.packet.vulnerabilities).toHaveLength(1);
    expect(briefing.text).toMatch(/Heap overflow in record length/);
    // AMBER, not RED: the plan is readable, the PoC is not.
    const msgs = await enabler.api.get<Array<{ subject: string }>>(cs('/messages'));
    expect(msgs.map((m) => m.subject)).toEqual(['Plan']);
    const stored = await v.db
      .selectFrom('briefing_packets')
      .select(['tent_id', 'org_id'])
      .where('case_id', '=', caseId)
      .execute();
    expect(stored).toEqual([{ tent_id: 'enablers', org_id: enabler.orgId }]);
    // The government CERT of DE is not in yet (release − 7 days).
    expect((await cert.api.raw('GET', cs())).statusCode).toBe(404);
  });

  it('the coordinator opens a tent early, with a reason; the CERT joins at once', async () => {
    await coord.api.expect(400, 'POST', cs('/tents/gov-certs/open'), { reason: '' });
    const tents = await coord.api.post<TentOut[]>(cs('/tents/gov-certs/open'), { reason: 'active exploitation reported in DE' });
    expect(tents.find((t) => t.id === 'gov-certs')?.openedEarly?.reason).toBe('active exploitation reported in DE');
    expectConflict(await coord.api.raw('POST', cs('/tents/gov-certs/open'), { reason: 'again' }), 'already open');
    await v1.api.expect(403, 'POST', cs('/tents/affinity/open'), { reason: 'I would like to' });
    expect((await cert.api.get<{ myRole: string }>(cs())).myRole).toBe('other');
    // GREEN: neither message.
    expect(await cert.api.get(cs('/messages'))).toEqual([]);
  });

  it('a tent opens on time through the durable job, not only the sweep', async () => {
    const at = new Date(Date.now() + 1500);
    const current = await coord.api.get<TentOut[]>(cs('/tents'));
    const specs = await v.db
      .selectFrom('case_tents')
      .select(['spec'])
      .where('case_id', '=', caseId)
      .orderBy('position')
      .execute();
    const soon = {
      id: 'soon',
      name: 'Soon',
      members: { orgIds: [], tiers: ['core'] },
      opens: { kind: 'absolute', at: at.toISOString() },
      tlpCeiling: 'GREEN',
      artifacts: 'all',
    };
    expect(current).toHaveLength(5);
    await coord.api.put(cs('/tents'), { tents: [...specs.map((s) => s.spec as Record<string, unknown>), soon] });
    // The job runs when the database's clock reaches `at`; the village's clock must agree that it is due.
    v.clock.set(new Date(Math.max(v.clock.now().getTime(), at.getTime() + 1000)));
    let opened: Date | null = null;
    for (let i = 0; i < 100 && !opened; i++) {
      await sleep(100);
      const row = await v.db
        .selectFrom('case_tents')
        .select('opened_at')
        .where('case_id', '=', caseId)
        .where('tent_id', '=', 'soon')
        .executeTakeFirstOrThrow();
      opened = row.opened_at;
    }
    expect(opened).not.toBeNull();
  });
});

describe('standing', () => {
  it('a new NDA version must be accepted before the next read', async () => {
    await coord.api.post(cm('/nda'), { text: 'Version two: we also report leaks within 24 hours.' }, 201);
    const res = await v1.api.raw('GET', cs());
    expect(res.json()).toMatchObject({ type: 'urn:village:problem:nda-required', nda: { version: 2 } });
    for (const p of [coord, v1, v2, enabler, cert]) await acceptNda(p);
    await v1.api.get(cs());
  });

  it('suspension cuts access at once, and reinstatement restores it', async () => {
    await enabler.api.get(cs());
    expectConflict(await coord.api.raw('POST', cm(`/members/${enabler.orgId}/events`), { type: 'suspend' }), 'no reason');
    await coord.api.post(cm(`/members/${enabler.orgId}/events`), { type: 'suspend', reason: 'under review' });
    expect((await enabler.api.raw('GET', cs())).statusCode).toBe(404);
    await coord.api.post(cm(`/members/${enabler.orgId}/events`), { type: 'reinstate', reason: 'review closed' });
    await enabler.api.get(cs());
  });

  it('ejection: sessions and tokens lose access on the next request; timelines record it; the coordinator learns what was seen', async () => {
    const { token } = await createToken(v.ctx, { actor: { type: 'anonymous' }, requestId: 't' }, v2.userId, {
      name: 'automation',
      scopes: ['cases:read'],
      expiresInDays: 1,
    });
    const bearer = () => v.app.inject({ method: 'GET', url: cs(), headers: { authorization: `Bearer ${token}` } });
    await v2.api.get(cs());
    await v2.api.get(cs('/vulnerabilities'));
    expect((await bearer()).statusCode).toBe(200);
    sink.reset();
    const m = await coord.api.post<MembershipOut>(cm(`/members/${v2.orgId}/events`), { type: 'eject', reason: 'leaked the PoC' });
    expect(m.member?.state).toBe('ejected');
    const t0 = Date.now();
    expect((await v2.api.raw('GET', cs())).statusCode).toBe(404);
    expect((await bearer()).statusCode).toBe(404);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await v2.api.get<Array<{ id: string }>>('/api/v1/cases')).some((c) => c.id === caseId)).toBe(false);
    // Everyone in the case sees that a party left; only the coordinator sees what it had seen.
    const seen = await v1.api.get<Array<{ kind: string }>>(cs('/timeline'));
    expect(seen.some((e) => e.kind === 'participant.ejected')).toBe(true);
    expect(seen.some((e) => e.kind === 'participant.exposure')).toBe(false);
    const coordView = await coord.api.get<Array<{ kind: string; data: { reads?: Array<{ part: string; count: number }> } }>>(
      cs('/timeline'),
    );
    const exposure = coordView.find(
      (e) => e.kind === 'participant.exposure' && (e.data as { orgId?: string }).orgId === v2.orgId,
    );
    expect(exposure?.data.reads?.map((r) => r.part)).toEqual(expect.arrayContaining(['case', 'vulnerabilities']));
    const x = await coord.api.get<Array<{ caseId: string; reads: Array<{ part: string }> }>>(cm(`/members/${v2.orgId}/exposure`));
    expect(x.find((c) => c.caseId === caseId)?.reads.length).toBeGreaterThan(0);
    const mail = await sink.waitFor((ms) => ms.some((mm) => mm.to.includes('admin@cc.example') && /ejected/.test(mm.subject)));
    expect(mail.find((mm) => /ejected/.test(mm.subject))?.text).not.toMatch(/leaked the PoC/);
    // Due process: a readmission starts again from an application, without the old sponsorships.
    const r = await v2.api.post<MembershipOut>(cm(`/members/${v2.orgId}/events`), { type: 'readmit', reason: 'new PSIRT lead' });
    expect(r.member?.state).toBe('applied');
    expect(r.admission?.satisfied).toBe(false);
    expect((await v2.api.raw('GET', cs())).statusCode).toBe(404);
  });
});
