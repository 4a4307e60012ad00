// Who reads what in a case, and what an illegal move changes (nothing). The reply link opens one
// report's thread and nothing else; a participant never reads another case, a message or artifact
// above its TLP ceiling, or one addressed to another participant; every such denial is a 404 whose
// body is the same as for an id that does not exist; a removed participant reads nothing. Illegal
// Vultron transitions (report RM, participant RM, embargo EM, case state) are 409 problem+json and
// leave the case and report rows, the embargo, the timeline and the audit chain as they were.
// (test/access-matrix.test.ts covers every route × role generically; this file is about the rules.)
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, startTestVillage, type TestVillage } from './support/app.ts';
import {
  Api,
  b64,
  caseSnapshot,
  expectConflict,
  expectHidden,
  invite,
  openCase,
  type Party,
  partyWithAdmin,
  randomId,
  type SubmittedReport,
  submitReport,
  type TimelineEntry,
} from './support/cases.ts';

const DAY = 86_400_000;

interface MessageOut {
  id: string;
  subject: string;
  tlp: string;
}
interface ArtifactOut {
  id: string;
  name: string;
  tlp: string;
}
interface EmbargoOut {
  state: string;
  history: string;
  pending: { id: string } | null;
  active: { id: string } | null;
}

let v: TestVillage;
let coord: Party;
/** Vendors in case K1 with ceilings RED, AMBER and GREEN; oscar is only in case K2. */
let alpha: Party;
let bravo: Party;
let charlie: Party;
let oscar: Party;
let reporter1: SubmittedReport;
let reporter2: SubmittedReport;
let k1 = '';
let k2 = '';
const k2Items = { message: '', artifact: '', vuln: '' };
const k1Items = { vuln: '' };

const REPORT = {
  description: 'A crafted frame overflows a buffer in the parser of the widget firmware.',
  creditConsent: false,
};
let address = 0;
const report = (title: string) =>
  submitReport(v, { ...REPORT, title, reporterEmail: `finder${address}@reporter.example` }, `198.51.100.${++address}`);

const c1 = (tail = '') => `/api/v1/cases/${k1}${tail}`;
const c2 = (tail = '') => `/api/v1/cases/${k2}${tail}`;
const cRandom = (tail = '') => `/api/v1/cases/${randomId()}${tail}`;
/** A token of the right shape (43 base64url characters) that was never issued. */
const forgedToken = () => randomBytes(32).toString('base64url');

beforeAll(async () => {
  v = await startTestVillage();
  [coord, alpha, bravo, charlie, oscar] = await Promise.all([
    partyWithAdmin(v, 'coord-center', 'coordinator'),
    partyWithAdmin(v, 'alpha-vendor'),
    partyWithAdmin(v, 'bravo-vendor'),
    partyWithAdmin(v, 'charlie-vendor'),
    partyWithAdmin(v, 'oscar-vendor'),
  ]);
  reporter1 = await report('Overflow in the widget parser');
  reporter2 = await report('Path traversal in the widget updater');
  await coord.api.post(`/api/v1/reports/${reporter1.id}/transition`, { action: 'validate' });
  k1 = (await openCase(coord.api, { title: 'Widget parser overflow', reportIds: [reporter1.id] })).id;
  await invite(coord.api, k1, alpha.orgId, { tlpCeiling: 'RED' });
  await invite(coord.api, k1, bravo.orgId, { tlpCeiling: 'AMBER' });
  await invite(coord.api, k1, charlie.orgId, { tlpCeiling: 'GREEN' });
  k1Items.vuln = (
    await coord.api.post<{ id: string }>(c1('/vulnerabilities'), { cveId: 'CVE-2026-10001', title: 'Parser overflow' }, 201)
  ).id;

  // Case K2: oscar's, with a message, an artifact and a vulnerability.
  k2 = (await openCase(coord.api, { title: 'Unrelated router case' })).id;
  await invite(coord.api, k2, oscar.orgId, { tlpCeiling: 'RED' });
  k2Items.message = (
    await coord.api.post<MessageOut>(c2('/messages'), { subject: 'K2 only', body: 'For oscar.', tlp: 'GREEN' }, 201)
  ).id;
  k2Items.artifact = (
    await coord.api.post<ArtifactOut>(c2('/artifacts'), { filename: 'k2.txt', contentBase64: b64('k2 notes'), tlp: 'CLEAR' }, 201)
  ).id;
  k2Items.vuln = (
    await coord.api.post<{ id: string }>(c2('/vulnerabilities'), { cveId: 'CVE-2026-20002', title: 'Router bug' }, 201)
  ).id;
}, 120_000);

afterAll(async () => v?.close());

describe('the reply link', () => {
  it('opens its own report and thread, and nothing of another report', async () => {
    await coord.api.post(`/api/v1/reports/${reporter1.id}/messages`, { body: 'To reporter one.' }, 201);
    await coord.api.post(`/api/v1/reports/${reporter2.id}/messages`, { body: 'To reporter two.' }, 201);
    v.clock.advance(60_000); // the manual clock stands still; threads are ordered by time
    const anon = Api.anonymous(v, 'reporter 1');
    await anon.post(`/api/v1/reply/${reporter1.replyToken}/messages`, { body: 'Reply from reporter one.' }, 201);

    const one = await anon.get<{ report: { id: string }; messages: Array<{ body: string }> }>(
      `/api/v1/reply/${reporter1.replyToken}`,
    );
    expect(one.report.id).toBe(reporter1.id);
    expect(one.messages.map((m) => m.body)).toEqual(['To reporter one.', 'Reply from reporter one.']);
    const two = await anon.get<{ report: { id: string }; messages: Array<{ body: string }> }>(
      `/api/v1/reply/${reporter2.replyToken}`,
    );
    expect(two.report.id).toBe(reporter2.id);
    expect(two.messages.map((m) => m.body)).toEqual(['To reporter two.']);
    // The reporter's answer went to its own report only.
    const thread2 = await coord.api.get<Array<{ body: string }>>(`/api/v1/reports/${reporter2.id}/messages`);
    expect(thread2.map((m) => m.body)).toEqual(['To reporter two.']);
  });

  it('another report’s id, a forged token or an altered one: a 404 that reveals nothing, and nothing written', async () => {
    const anon = Api.anonymous(v);
    const reference = await anon.raw('GET', `/api/v1/reply/${forgedToken()}`);
    const last = reporter1.replyToken.slice(-1);
    const altered = reporter1.replyToken.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    const candidates = {
      'another report id': reporter2.id,
      'own report id': reporter1.id,
      'own report ref': reporter1.ref,
      'forged token': forgedToken(),
      'altered token': altered,
      'truncated token': reporter1.replyToken.slice(0, -1),
      'token with a suffix': `${reporter1.replyToken}x`,
    };
    for (const [what, token] of Object.entries(candidates)) {
      expectHidden(await anon.raw('GET', `/api/v1/reply/${token}`), reference, `GET ${what}`);
    }
    const before = await v.db.selectFrom('report_messages').select('id').execute();
    for (const [what, token] of Object.entries(candidates)) {
      expectHidden(await anon.raw('POST', `/api/v1/reply/${token}/messages`, { body: 'hello?' }), reference, `POST ${what}`);
    }
    expect(await v.db.selectFrom('report_messages').select('id').execute()).toEqual(before);
  });

  it('is no credential for the API: not as a bearer token, not as a session cookie', async () => {
    const [att] = (await coord.api.get<{ report: { attachments: Array<{ id: string }> } }>(`/api/v1/reports/${reporter1.id}`))
      .report.attachments;
    const urls = [
      '/api/v1/cases',
      c1(),
      c1('/messages'),
      '/api/v1/reports',
      `/api/v1/reports/${reporter1.id}`,
      `/api/v1/reports/${reporter1.id}/messages`,
      `/api/v1/reports/${reporter1.id}/attachments/${att?.id ?? randomId()}`,
      '/api/v1/me',
    ];
    const asBearer = Api.anonymous(v, 'reply token as bearer', { authorization: `Bearer ${reporter1.replyToken}` });
    const asCookie = Api.anonymous(v, 'reply token as cookie', { cookie: `village_session=${reporter1.replyToken}` });
    for (const u of urls) {
      for (const caller of [asBearer, asCookie]) {
        const res = await caller.raw('GET', u);
        expect(res.statusCode, `${caller.name} GET ${u}: ${res.body}`).toBe(401);
        expect(res.json().type).toBe('urn:village:problem:unauthenticated');
      }
    }
    const post = await asBearer.raw('POST', `/api/v1/reports/${reporter1.id}/messages`, { body: 'hi' });
    expect(post.statusCode).toBe(401);
  });
});

describe('a participant and another case', () => {
  const reads = ['', '/timeline', '/messages', '/artifacts', '/embargo', '/vulnerabilities', '/statements', '/desiderata'];

  it('every route of a case it is not in is a 404 like a random id; the case is not in its list', async () => {
    for (const [who, other] of [
      [alpha, k2],
      [oscar, k1],
    ] as const) {
      const at = (tail = '') => `/api/v1/cases/${other}${tail}`;
      for (const tail of reads) {
        expectHidden(await who.api.raw('GET', at(tail)), await who.api.raw('GET', cRandom(tail)), `${who.slug} GET ${tail}`);
      }
      const writes: Array<['POST' | 'PUT' | 'DELETE', string, Record<string, unknown> | undefined]> = [
        ['POST', '/messages', { subject: 's', body: 'b', tlp: 'CLEAR' }],
        ['POST', '/artifacts', { filename: 'a.txt', contentBase64: b64('a'), tlp: 'CLEAR' }],
        ['POST', '/acknowledge', undefined],
        ['POST', '/report-management', { action: 'validate' }],
        ['POST', '/embargo/proposals', {}],
        ['POST', '/state', { event: 'F' }],
        ['POST', '/participants', { orgId: who.orgId, role: 'vendor' }],
        ['DELETE', `/participants/${who.orgId}`, { reason: 'x' }],
      ];
      for (const [method, tail, body] of writes) {
        expectHidden(
          await who.api.raw(method, at(tail), body),
          await who.api.raw(method, cRandom(tail), body),
          `${who.slug} ${method} ${tail}`,
        );
      }
      const ids = other === k2 ? k2Items : { artifact: randomId(), vuln: k1Items.vuln };
      expectHidden(
        await who.api.raw('GET', at(`/artifacts/${ids.artifact}`)),
        await who.api.raw('GET', cRandom(`/artifacts/${ids.artifact}`)),
        `${who.slug} artifact download`,
      );
      expectHidden(
        await who.api.raw('PUT', at(`/vulnerabilities/${ids.vuln}/statement`), { status: 'affected' }),
        await who.api.raw('PUT', cRandom(`/vulnerabilities/${ids.vuln}/statement`), { status: 'affected' }),
        `${who.slug} statement`,
      );
      const listed = await who.api.get<Array<{ id: string }>>('/api/v1/cases');
      expect(listed.map((c) => c.id)).not.toContain(other);
    }
  });

  it('ids from another case do not work through its own case either', async () => {
    // K2's artifact through K1: the same answer as an artifact id that does not exist.
    expectHidden(
      await alpha.api.raw('GET', c1(`/artifacts/${k2Items.artifact}`)),
      await alpha.api.raw('GET', c1(`/artifacts/${randomId()}`)),
      'K2 artifact via K1',
    );
    // K2's vulnerability through K1.
    expectHidden(
      await alpha.api.raw('PUT', c1(`/vulnerabilities/${k2Items.vuln}/statement`), { status: 'affected' }),
      await alpha.api.raw('PUT', c1(`/vulnerabilities/${randomId()}/statement`), { status: 'affected' }),
      'K2 vulnerability via K1',
    );
    // Replying in K1 to a K2 thread: the same as an unknown thread.
    const msg = { subject: 's', body: 'b', tlp: 'CLEAR' };
    const viaK2 = await alpha.api.raw('POST', c1('/messages'), { ...msg, threadId: k2Items.message });
    const unknown = await alpha.api.raw('POST', c1('/messages'), { ...msg, threadId: randomId() });
    expect(viaK2.statusCode).toBe(400);
    expect(stripVolatile(viaK2)).toEqual(stripVolatile(unknown));
  });
});

/** A problem body without instance and request id. */
function stripVolatile(res: LightMyRequestResponse) {
  const { instance: _i, requestId: _r, ...rest } = res.json() as Record<string, unknown>;
  return rest;
}

describe('TLP ceilings and audiences in a case', () => {
  const msg: Record<string, string> = {};
  const art: Record<string, string> = {};

  beforeAll(async () => {
    const post = async (p: Party, key: string, body: Record<string, unknown>) => {
      msg[key] = (await p.api.post<MessageOut>(c1('/messages'), { subject: key, body: `${key} text`, ...body }, 201)).id;
    };
    for (const tlp of ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED']) await post(coord, `all ${tlp}`, { tlp });
    await post(coord, 'to alpha GREEN', { tlp: 'GREEN', audience: 'org', audienceOrgId: alpha.orgId });
    await post(coord, 'to bravo GREEN', { tlp: 'GREEN', audience: 'org', audienceOrgId: bravo.orgId });
    // Addressed to charlie, but above its ceiling: charlie does not read it either.
    await post(coord, 'to charlie RED', { tlp: 'RED', audience: 'org', audienceOrgId: charlie.orgId });
    await post(alpha, 'alpha to all RED', { tlp: 'RED' });
    await post(bravo, 'bravo to coordinator AMBER', { tlp: 'AMBER', audience: 'org', audienceOrgId: bravo.orgId });

    const upload = async (p: Party, key: string, body: Record<string, unknown>) => {
      const a = await p.api.post<ArtifactOut>(
        c1('/artifacts'),
        { filename: `${key.replaceAll(' ', '-')}.txt`, contentBase64: b64(`${key} bytes`), ...body },
        201,
      );
      art[key] = a.id;
    };
    for (const tlp of ['GREEN', 'AMBER', 'RED']) await upload(coord, `file all ${tlp}`, { tlp });
    await upload(coord, 'file to alpha GREEN', { tlp: 'GREEN', audience: 'org', audienceOrgId: alpha.orgId });
    await upload(coord, 'file to bravo CLEAR', { tlp: 'CLEAR', audience: 'org', audienceOrgId: bravo.orgId });
    await upload(charlie, 'file charlie own GREEN', { tlp: 'GREEN', audience: 'org', audienceOrgId: charlie.orgId });
  });

  const expectedMessages: Record<string, string[]> = {
    alpha: ['all CLEAR', 'all GREEN', 'all AMBER', 'all AMBER+STRICT', 'all RED', 'to alpha GREEN', 'alpha to all RED'],
    bravo: ['all CLEAR', 'all GREEN', 'all AMBER', 'to bravo GREEN', 'bravo to coordinator AMBER'],
    charlie: ['all CLEAR', 'all GREEN'],
  };
  const expectedArtifacts: Record<string, string[]> = {
    alpha: ['file all GREEN', 'file all AMBER', 'file all RED', 'file to alpha GREEN'],
    bravo: ['file all GREEN', 'file all AMBER', 'file to bravo CLEAR'],
    charlie: ['file all GREEN', 'file charlie own GREEN'],
  };
  const vendors = () => ({ alpha, bravo, charlie });

  it('messages: each vendor reads those to everyone or to it, up to its ceiling; the coordinator all', async () => {
    const all = await coord.api.get<MessageOut[]>(c1('/messages'));
    expect(all.map((m) => m.subject).sort()).toEqual(Object.keys(msg).sort());
    for (const [name, p] of Object.entries(vendors())) {
      const seen = await p.api.get<MessageOut[]>(c1('/messages'));
      expect(seen.map((m) => m.subject).sort(), name).toEqual([...(expectedMessages[name] ?? [])].sort());
    }
    // Nobody labels above its own ceiling, nor addresses another participant.
    await bravo.api.expect(403, 'POST', c1('/messages'), { subject: 's', body: 'b', tlp: 'AMBER+STRICT' });
    await charlie.api.expect(403, 'POST', c1('/messages'), { subject: 's', body: 'b', tlp: 'TLP:AMBER' });
    await alpha.api.expect(403, 'POST', c1('/messages'), {
      subject: 's',
      body: 'b',
      tlp: 'GREEN',
      audience: 'org',
      audienceOrgId: bravo.orgId,
    });
  });

  it('threads one may not read cannot be replied to, and the refusal is the same as for an unknown thread', async () => {
    const body = { subject: 're', body: 'b', tlp: 'CLEAR' };
    const unknown = await bravo.api.raw('POST', c1('/messages'), { ...body, threadId: randomId() });
    for (const key of ['all RED', 'all AMBER+STRICT', 'to alpha GREEN', 'alpha to all RED']) {
      const res = await bravo.api.raw('POST', c1('/messages'), { ...body, threadId: msg[key] });
      expect(res.statusCode, key).toBe(400);
      expect(stripVolatile(res), key).toEqual(stripVolatile(unknown));
    }
    // A thread it may read: fine.
    await bravo.api.post(c1('/messages'), { ...body, threadId: msg['all AMBER'] }, 201);
  });

  it('artifacts: listed and downloaded only within the same rules; a hidden one is a 404 like a random id', async () => {
    const all = await coord.api.get<ArtifactOut[]>(c1('/artifacts'));
    expect(all.map((a) => a.name).sort()).toEqual(
      Object.keys(art)
        .map((k) => `${k.replaceAll(' ', '-')}.txt`)
        .sort(),
    );
    for (const [name, p] of Object.entries(vendors())) {
      const expected = expectedArtifacts[name] ?? [];
      const seen = await p.api.get<ArtifactOut[]>(c1('/artifacts'));
      expect(seen.map((a) => a.name).sort(), name).toEqual(expected.map((k) => `${k.replaceAll(' ', '-')}.txt`).sort());
      const random = await p.api.raw('GET', c1(`/artifacts/${randomId()}`));
      for (const [key, id] of Object.entries(art)) {
        const res = await p.api.raw('GET', c1(`/artifacts/${id}`));
        if (expected.includes(key)) {
          expect(res.statusCode, `${name} ${key}`).toBe(200);
          expect(res.body).toBe(`${key} bytes`);
          expect(res.headers['x-tlp']).toBe(`TLP:${key.split(' ').pop()}`);
        } else {
          expectHidden(res, random, `${name} downloads ${key}`);
        }
      }
    }
  });

  it('the timeline shows a vendor no entry addressed to another participant', async () => {
    // What each vendor must not find on its timeline: items addressed to another participant.
    const notFor: Record<string, string[]> = {
      alpha: ['to bravo GREEN', 'to charlie RED', 'bravo to coordinator AMBER', 'file to bravo CLEAR', 'file charlie own GREEN'],
      bravo: ['to alpha GREEN', 'to charlie RED', 'file to alpha GREEN', 'file charlie own GREEN'],
      charlie: ['to alpha GREEN', 'to bravo GREEN', 'bravo to coordinator AMBER', 'file to alpha GREEN', 'file to bravo CLEAR'],
    };
    const forOthers = (mine: string) => (notFor[mine] ?? []).map((k) => msg[k] ?? art[k]);
    for (const [name, p] of Object.entries(vendors())) {
      const t = await p.api.get<TimelineEntry[]>(c1('/timeline'));
      const refs = new Set(t.flatMap((e) => [e.data.messageId, e.data.artifactId]).filter(Boolean));
      for (const id of forOthers(name)) expect(refs.has(id), `${name} sees ${id}`).toBe(false);
      // It does see the entries for what is addressed to it.
      if (name === 'alpha') expect(refs.has(msg['to alpha GREEN'])).toBe(true);
    }
    const coordRefs = new Set(
      (await coord.api.get<TimelineEntry[]>(c1('/timeline'))).flatMap((e) => [e.data.messageId, e.data.artifactId]),
    );
    for (const id of [...Object.values(msg), ...Object.values(art)]) expect(coordRefs.has(id)).toBe(true);
  });

  it('a removed participant reads nothing from then on, not even what it read before', async () => {
    const readable = art['file all AMBER'] ?? '';
    expect((await bravo.api.raw('GET', c1(`/artifacts/${readable}`))).statusCode).toBe(200);
    await coord.api.delete(c1(`/participants/${bravo.orgId}`), { reason: 'Asked to leave.' });

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
      expectHidden(await bravo.api.raw('GET', c1(tail)), await bravo.api.raw('GET', cRandom(tail)), `removed GET ${tail}`);
    }
    expectHidden(
      await bravo.api.raw('GET', c1(`/artifacts/${readable}`)),
      await bravo.api.raw('GET', cRandom(`/artifacts/${readable}`)),
      'removed artifact download',
    );
    const body = { subject: 's', body: 'b', tlp: 'CLEAR', threadId: msg['all AMBER'] };
    expectHidden(
      await bravo.api.raw('POST', c1('/messages'), body),
      await bravo.api.raw('POST', cRandom('/messages'), body),
      'post',
    );
    expectHidden(await bravo.api.raw('POST', c1('/acknowledge')), await bravo.api.raw('POST', cRandom('/acknowledge')), 'ack');
    expect((await bravo.api.get<Array<{ id: string }>>('/api/v1/cases')).map((c) => c.id)).not.toContain(k1);
    // Removing it again: it is no longer a participant.
    await coord.api.delete(c1(`/participants/${bravo.orgId}`), { reason: 'again' }, 404);

    // Invited again, with a lower ceiling: it reads again, within the new ceiling.
    await invite(coord.api, k1, bravo.orgId, { tlpCeiling: 'GREEN' });
    const seen = (await bravo.api.get<MessageOut[]>(c1('/messages'))).map((m) => m.subject);
    expect(seen).toContain('all GREEN');
    expect(seen).not.toContain('all AMBER');
    expect(seen).toContain('bravo to coordinator AMBER'); // its own
  });
});

describe('illegal transitions: 409 problem+json, and nothing changes', () => {
  let rR = '';
  let rV = '';
  let rC = '';
  let k3 = '';
  let other = '';

  const embargoOf = (caseId: string) => coord.api.get<EmbargoOut>(`/api/v1/cases/${caseId}/embargo`);
  const reportState = async (id: string) =>
    (await coord.api.get<{ report: { state: string } }>(`/api/v1/reports/${id}`)).report.state;

  /**
   * Runs an illegal request; expects 409 and the same case, reports, embargo, timeline and audit
   * head. Reads through the API may themselves be audited, so the embargo view is fetched outside
   * the window the audit head is compared over.
   */
  async function refused(what: string, caseId: string, act: () => Promise<LightMyRequestResponse>) {
    const reports = [rR, rV, rC, reporter1.id];
    const embargoBefore = await embargoOf(caseId);
    const before = await caseSnapshot(v, caseId, reports);
    expectConflict(await act(), what);
    expect(await caseSnapshot(v, caseId, reports), what).toEqual(before);
    expect(await embargoOf(caseId), what).toEqual(embargoBefore);
  }

  beforeAll(async () => {
    rR = (await report('Still received')).id;
    rV = (await report('Validated, not in a case')).id;
    rC = (await report('Closed after invalidation')).id;
    await coord.api.post(`/api/v1/reports/${rV}/transition`, { action: 'validate' });
    await coord.api.post(`/api/v1/reports/${rC}/transition`, { action: 'invalidate' });
    await coord.api.post(`/api/v1/reports/${rC}/transition`, { action: 'close' });
    // A fresh case for the state machines: alpha a vendor, an org without users as "other".
    k3 = (await openCase(coord.api, { title: 'State machine drills' })).id;
    await invite(coord.api, k3, alpha.orgId);
    await invite(coord.api, k3, charlie.orgId);
    other = (await makeOrg(v, 'observer-org', 'cert')).id;
    await invite(coord.api, k3, other, { role: 'other' });
  });

  it('report management (triage)', async () => {
    const t = (id: string, action: string) => () => coord.api.raw('POST', `/api/v1/reports/${id}/transition`, { action });
    for (const action of ['accept', 'close', 'defer']) await refused(`R → ${action}`, k1, t(rR, action));
    for (const action of ['invalidate', 'close', 'validate']) await refused(`V → ${action}`, k1, t(rV, action));
    for (const action of ['validate', 'invalidate', 'accept']) await refused(`A → ${action}`, k1, t(reporter1.id, action));
    for (const action of ['validate', 'invalidate', 'accept', 'defer', 'close'])
      await refused(`C → ${action}`, k1, t(rC, action));
    // Opening a case from a report not yet valid, merging a closed one or one already in a case.
    await refused('open from R', k1, () => coord.api.raw('POST', '/api/v1/cases', { title: 'Nope', reportIds: [rR] }));
    await refused('open from C', k1, () => coord.api.raw('POST', '/api/v1/cases', { title: 'Nope', reportIds: [rC] }));
    await refused('merge C', k1, () => coord.api.raw('POST', `/api/v1/reports/${rC}/merge`, { caseId: k1 }));
    await refused('merge twice', k1, () => coord.api.raw('POST', `/api/v1/reports/${reporter1.id}/merge`, { caseId: k1 }));
    expect([await reportState(rR), await reportState(rV), await reportState(reporter1.id), await reportState(rC)]).toEqual([
      'R',
      'V',
      'A',
      'C',
    ]);
  });

  it('a participant’s report management', async () => {
    const rm = (p: Party, action: string) => () => p.api.raw('POST', `/api/v1/cases/${k3}/report-management`, { action });
    for (const action of ['accept', 'close', 'defer']) await refused(`participant R → ${action}`, k3, rm(alpha, action));
    expect(await alpha.api.post(`/api/v1/cases/${k3}/report-management`, { action: 'validate' })).toEqual({ state: 'V' });
    for (const action of ['validate', 'invalidate', 'close']) await refused(`participant V → ${action}`, k3, rm(alpha, action));
    // The coordinator's own participation starts Accepted: it cannot validate again.
    await refused('coordinator A → validate', k3, rm(coord, 'validate'));
  });

  it('embargo actions out of order', async () => {
    const e =
      (p: Party, tail: string, body: Record<string, unknown> = {}) =>
      () =>
        p.api.raw('POST', `/api/v1/cases/${k3}/embargo${tail}`, body);
    const at = (days: number) => new Date(v.clock.now().getTime() + days * DAY).toISOString();
    // None: nothing to accept, reject or end; dates in the past or beyond the maximum are refused.
    await refused('accept at N', k3, e(alpha, `/proposals/${randomId()}/accept`));
    await refused('reject at N', k3, e(alpha, `/proposals/${randomId()}/reject`));
    await refused('terminate at N', k3, e(coord, '/terminate', { reason: 'other' }));
    await refused('release in the past', k3, e(coord, '/proposals', { releaseAt: at(-1) }));
    await refused('release beyond 90 days', k3, e(coord, '/proposals', { releaseAt: at(91) }));

    const proposed = await coord.api.post<EmbargoOut>(`/api/v1/cases/${k3}/embargo/proposals`, { releaseAt: at(30) });
    const p1 = proposed.pending?.id ?? '';
    await refused('terminate at P', k3, e(coord, '/terminate', { reason: 'expired' }));
    await refused('accept an unknown proposal', k3, e(alpha, `/proposals/${randomId()}/accept`));

    await alpha.api.post(`/api/v1/cases/${k3}/embargo/proposals/${p1}/reject`, { reason: 'Too short.' });
    // A participant that declined must be invited again before it accepts.
    await refused('accept after declining', k3, e(alpha, `/proposals/${p1}/accept`));
    expect((await coord.api.post<EmbargoOut>(`/api/v1/cases/${k3}/embargo/proposals/${p1}/accept`)).state).toBe('A');
    // The owner ends an active embargo with terminate, not reject.
    await refused('owner rejects the active terms', k3, e(coord, `/proposals/${p1}/reject`));

    const ended = await coord.api.post<EmbargoOut>(`/api/v1/cases/${k3}/embargo/terminate`, { reason: 'other', detail: 'drill' });
    expect(ended).toMatchObject({ state: 'X', history: 'pat' });
    await refused('propose after exit', k3, e(coord, '/proposals', { releaseAt: at(10) }));
    await refused('accept after exit', k3, e(charlie, `/proposals/${p1}/accept`));
    await refused('reject after exit', k3, e(charlie, `/proposals/${p1}/reject`));
    await refused('terminate twice', k3, e(coord, '/terminate', { reason: 'other' }));
  });

  it('case-state events out of order', async () => {
    const s = (p: Party, event: string, orgId?: string) => () =>
      p.api.raw('POST', `/api/v1/cases/${k3}/state`, { event, ...(orgId ? { orgId } : {}) });
    await refused('D before F', k3, s(charlie, 'D'));
    await refused('V twice (aware since the invitation)', k3, s(charlie, 'V'));
    await refused('D before F, by the coordinator', k3, s(coord, 'D', charlie.orgId));
    await refused('vendor flags for a non-vendor', k3, s(coord, 'F', other));
    expect(await alpha.api.post(`/api/v1/cases/${k3}/state`, { event: 'F' })).toEqual({ state: 'VFd' });
    await refused('F twice', k3, s(alpha, 'F'));
    expect(await alpha.api.post(`/api/v1/cases/${k3}/state`, { event: 'D' })).toEqual({ state: 'VFD' });
    await refused('D twice', k3, s(alpha, 'D'));
    // Public side: an exploit made public also makes the public aware; neither happens twice.
    expect(await coord.api.post(`/api/v1/cases/${k3}/state`, { event: 'X' })).toEqual({ state: 'PXa' });
    await refused('P after X (already public)', k3, s(coord, 'P'));
    await refused('X twice', k3, s(coord, 'X'));
    expect(await coord.api.post(`/api/v1/cases/${k3}/state`, { event: 'A' })).toEqual({ state: 'PXA' });
    await refused('A twice', k3, s(coord, 'A'));
  });
});
