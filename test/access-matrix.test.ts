// Who may call what, over HTTP: one table lists every route the app serves with the status each
// kind of caller must get (anonymous; member and admin of org A; admin of org B; an operator; an
// API token of A's admin with every scope and with none). A coverage test reads the app's route
// tree and fails when a route has no row, so a new route cannot ship without its access rules.
// The operator belongs to a coordinator organization (C), which triages reports and coordinates
// case K, in which org A is a vendor (org B is in case KB instead). Then: CSRF for cookie-
// authenticated writes (and none for bearer tokens), hidden denials (another organization's
// resource, or a case one is not in, is a 404 indistinguishable from one that does not exist),
// and who may grant operator rights.
import { randomBytes, randomUUID } from 'node:crypto';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestMeta } from '../src/context.ts';
import { totpCode } from '../src/crypto/totp.ts';
import { CommunitySettingsSchema } from '../src/domain/community.ts';
import { TOKEN_SCOPES } from '../src/domain/policy.ts';
import { rmAllowed } from '../src/domain/report-states.ts';
import { UI_CSP, UI_ROUTES } from '../src/http/web.ts';
import { createCheckpoint } from '../src/services/audit-checkpoints.ts';
import { addParticipant } from '../src/services/cases.ts';
import { createCommunity, publishNda } from '../src/services/communities.ts';
import { loadCords } from '../src/services/cords.ts';
import { createFeed } from '../src/services/feeds.ts';
import { submitReport, transitionReport } from '../src/services/reports.ts';
import { createProduct } from '../src/services/sboms.ts';
import { createSession } from '../src/services/sessions.ts';
import { createToken } from '../src/services/tokens.ts';
import { confirmTotp, startTotpEnrolment } from '../src/services/totp.ts';
import { checkFile } from '../src/services/uploads.ts';
import { createSubscription, listSubscriptions, type SubscriptionView, sendPing } from '../src/services/webhooks.ts';
import { makeOrg, makeUser, PASSWORD, Session, signIn, startTestVillage, type TestVillage } from './support/app.ts';
import { CveServicesDouble } from './support/cve-services-server.ts';
import { makeKeyPair } from './support/pgp.ts';
import { isDocsRoute, listRoutes, type Method, openApiOperations, routeKey, UNSAFE_METHODS } from './support/routes.ts';
import { SoftAuthenticator } from './support/soft-authenticator.ts';

const ROLES = ['anonymous', 'aMember', 'aAdmin', 'bAdmin', 'operator', 'tokenAll', 'tokenNone'] as const;
type Role = (typeof ROLES)[number];
const SESSION_ROLES = ['aMember', 'aAdmin', 'bAdmin', 'operator'] as const;
type SessionRole = (typeof SESSION_ROLES)[number];

const ORIGIN = 'http://localhost:8080'; // testConfig's VILLAGE_PUBLIC_URL
const RP_ID = 'localhost';
const LOGIN_EMAIL = 'login-target@a.example';
const PASSKEY_EMAIL = 'passkey-user@a.example';
const setupMeta: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'access-matrix-setup' };

let v: TestVillage;
/** A local test double of CVE Services' documented endpoints (not the real service). */
let cveDouble: CveServicesDouble;
const CVE_CREDS = { org: 'matrix-cna', user: 'bot@matrix.example', apiKey: 'matrix-key' };
const ids = {
  orgA: '',
  orgB: '',
  orgC: '',
  /** Users PATCHed and read by the table: one in A, one in B. */
  aTarget: '',
  bTarget: '',
  user: {} as Record<SessionRole, string>,
  /** A second user per session role, same organization and rights, for rows that end sessions or change credentials. */
  twin: {} as Record<SessionRole, string>,
  /** A report (state R) with one attachment, and its reply-link token. */
  report: '',
  replyToken: '',
  attachment: '',
  /** Case K: coordinated by org C (the operator's), org A a vendor in it; case KB: org B a vendor, A not in it. */
  caseK: '',
  caseKB: '',
  /** An artifact in case K, for everyone in it. */
  artifact: '',
  /** A vulnerability in case K, and one in case KB. */
  vuln: '',
  vulnKB: '',
  /** Community M: the operator is its steward, orgs A and C are admitted members, B is not a member. */
  community: '',
  /** A product of org A. */
  product: '',
  /** An audit entry about org A, covered by checkpoint 1. */
  auditEntryA: '',
};
const sessions = {} as Record<SessionRole, Session>;
const tokens = { tokenAll: '', tokenNone: '' };
const passkey = new SoftAuthenticator(RP_ID, ORIGIN);

/** Who sends a request: nobody, a cookie session (CSRF handled by Session), or a bearer token. */
interface Caller {
  role: Role;
  userId: string | undefined;
  session?: Session;
  token?: string;
}

function send(c: Caller, opts: InjectOptions): Promise<LightMyRequestResponse> {
  if (c.session) return c.session.request(opts);
  const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined) };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  return v.app.inject({ ...opts, headers });
}

/** A new session for a user without going through argon2. */
async function freshSession(userId: string): Promise<{ session: Session; id: string }> {
  const s = await createSession(v.ctx, v.db, userId, { mfa: false });
  const session = new Session(v.app);
  session.cookie = `village_session=${s.secret}`;
  session.csrf = s.csrfToken;
  return { session, id: s.id };
}

async function callerFor(role: Role, twin: boolean): Promise<Caller> {
  if (role === 'anonymous') return { role, userId: undefined };
  if (role === 'tokenAll' || role === 'tokenNone') return { role, userId: ids.user.aAdmin, token: tokens[role] };
  if (twin) return { role, userId: ids.twin[role], session: (await freshSession(ids.twin[role])).session };
  return { role, userId: ids.user[role], session: sessions[role] };
}

// --- helpers that prepare state for a row --------------------------------------------------------

/** A disabled feed for a row to change, poll or remove. */
async function aFeed(): Promise<string> {
  return (
    await createFeed(v.ctx, setupMeta, {
      kind: 'osv',
      name: `feed ${randomUUID()}`,
      path: '/nonexistent/osv.json',
      intervalSeconds: 3600,
      keywords: [],
      enabled: false,
    })
  ).id;
}

async function resetTotp(userId: string): Promise<void> {
  await v.db
    .updateTable('users')
    .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
    .where('id', '=', userId)
    .execute();
  await v.db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
}

/** TOTP enabled with a code of the previous step, so a code of the current step is still fresh. */
async function enableTotp(userId: string): Promise<string> {
  await resetTotp(userId);
  const { secret } = await startTotpEnrolment(v.ctx, setupMeta, userId);
  await confirmTotp(v.ctx, setupMeta, userId, totpCode(secret, new Date(v.clock.now().getTime() - 30_000)));
  return secret;
}

async function registerPasskey(s: Session, key = new SoftAuthenticator(RP_ID, ORIGIN)): Promise<string> {
  const options = await s.request({ method: 'POST', url: '/api/v1/me/webauthn/register/options' });
  expect(options.statusCode, options.body).toBe(200);
  const res = await s.request({
    method: 'POST',
    url: '/api/v1/me/webauthn/register/verify',
    payload: { response: key.register(options.json()) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: string }).id;
}

async function passkeyLoginOptions(): Promise<{ challenge: string }> {
  const res = await v.app.inject({
    method: 'POST',
    url: '/api/v1/auth/webauthn/login/options',
    payload: { email: PASSKEY_EMAIL },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Creation options of the right shape, for callers that will be refused before they are checked. */
const FAKE_CREATION_OPTIONS = {
  rp: { name: 'Village', id: RP_ID },
  user: { id: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'nobody', displayName: 'nobody' },
  challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  pubKeyCredParams: [{ alg: -7, type: 'public-key' }],
} as PublicKeyCredentialCreationOptionsJSON;

const slugOf = (role: Role) => role.toLowerCase();

let counter = 0;
const unique = () => ++counter;

const REPORT_INPUT = {
  title: 'Buffer overflow in the widget parser',
  description: 'A crafted widget overflows a stack buffer in the parser.',
  reporterEmail: 'finder@reporter.example',
  creditConsent: false,
};

/** A report through the service, each from its own address (intake is limited per address). */
async function freshReport(validated = false): Promise<string> {
  const r = await submitReport(
    v.ctx,
    { ...setupMeta, ip: `10.0.${Math.floor(counter / 200)}.${unique() % 200}` },
    REPORT_INPUT,
    [],
  );
  if (validated) await transitionReport(v.ctx, setupMeta, r.id, 'validate');
  return r.id;
}

/** An organization of its own, for the operator to invite or remove. */
const freshOrg = async () => (await makeOrg(v, `invitee-${unique()}`)).id;

/** An action the caller's organization may take now in the case (never close, which ends it). */
async function nextRmAction(caseId: string, orgId: string): Promise<string> {
  const p = await v.db
    .selectFrom('case_participants')
    .select('rm_state')
    .where('case_id', '=', caseId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return rmAllowed(p?.rm_state ?? 'R').find((a) => a !== 'close') ?? 'validate';
}

/** A case like K (org C coordinates, A a vendor), for rows that move a case's state one way only. */
async function freshCaseLikeK(): Promise<string> {
  const c = await sessions.operator.request({ method: 'POST', url: '/api/v1/cases', payload: { title: `Like K ${unique()}` } });
  expect(c.statusCode, c.body).toBe(201);
  const id = (c.json() as { id: string }).id;
  const p = await sessions.operator.request({
    method: 'POST',
    url: `/api/v1/cases/${id}/participants`,
    payload: { orgId: ids.orgA, role: 'vendor', tlpCeiling: 'AMBER' },
  });
  expect(p.statusCode, p.body).toBe(201);
  return id;
}
/** In the main matrix a row acts on K; where it changes the case for good, on a fresh case like K. */
const caseFor = async (id: string) => (id === ids.caseK ? freshCaseLikeK() : id);

/** An embargo proposal in a case, made over HTTP by the coordinator (operator) or the vendor (A's admin). */
async function propose(caseId: string, by: 'coordinator' | 'vendor'): Promise<string> {
  const s = by === 'coordinator' ? sessions.operator : sessions.aAdmin;
  const res = await s.request({ method: 'POST', url: `/api/v1/cases/${caseId}/embargo/proposals`, payload: {} });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { pending: { id: string } | null; proposals: Array<{ id: string }> };
  const id = body.pending?.id ?? body.proposals.at(-1)?.id;
  if (!id) throw new Error(`no proposal in ${res.body}`);
  return id;
}

const orgOfRole = (role: Role): string => (role === 'bAdmin' ? ids.orgB : role === 'operator' ? ids.orgC : ids.orgA);

// --- the table --------------------------------------------------------------------------------------

type Expect = Record<Role, number>;
/** Positional: anonymous, aMember, aAdmin, bAdmin, operator, tokenAll, tokenNone. */
const by = (...s: [number, number, number, number, number, number, number]): Expect =>
  Object.fromEntries(ROLES.map((r, i) => [r, s[i]])) as Expect;
const everyone = (s: number): Expect => by(s, s, s, s, s, s, s);
/** The caller's own account: any signed-in session; never a token. */
const sessionOnly = (ok: number): Expect => by(401, ok, ok, ok, ok, 403, 403);

interface Built {
  url?: string;
  body?: Record<string, unknown>;
}

interface Row {
  method: Method;
  /** As Fastify spells it, e.g. /api/v1/orgs/:id */
  route: string;
  expect: Expect;
  /** :id is this organization's or user's id (org A's, A's target user); other-org ids must look unknown. */
  target?: 'org' | 'user' | 'case';
  /** The success answer is a file download (Content-Disposition: attachment), not JSON. */
  file?: boolean;
  /** The success answer is the web UI's page (HTML under the UI's Content-Security-Policy), not JSON. */
  page?: boolean;
  /** The success answer's Content-Type, when it is not JSON (public documents, feeds, pages). */
  contentType?: RegExp;
  /** Session roles act through a fresh session of a same-role twin user (the row ends sessions or changes credentials). */
  twin?: boolean;
  /** The concrete request for a caller and the target id: URL (default: the route with :id filled in) and body. */
  build?: (c: Caller, id: string) => Promise<Built> | Built;
}

const ROWS: Row[] = [
  // The web UI: every page path answers the same public page (what it shows comes from the API,
  // under the API's rules), including the reporter's mailed link /reply/:token. Its assets are
  // public files; an unknown one is a 404 problem.
  ...UI_ROUTES.map(
    (route): Row => ({
      method: 'GET',
      route,
      expect: everyone(200),
      page: true,
      build: () => ({ url: route.replace(':token', ids.replyToken).replace(':id', ids.caseK) }),
    }),
  ),
  { method: 'GET', route: '/assets/:file', expect: everyone(404), build: () => ({ url: '/assets/no-such-file.js' }) },

  // Operations
  { method: 'GET', route: '/healthz', expect: everyone(200) },
  { method: 'GET', route: '/readyz', expect: everyone(200) },
  { method: 'GET', route: '/.well-known/openpgp-key.asc', expect: everyone(200), contentType: /^application\/pgp-keys/ },

  // Published advisories: public, no sign-in (nothing is published in this village: unknown ids are 404s)
  { method: 'GET', route: '/.well-known/csaf/provider-metadata.json', expect: everyone(200) },
  { method: 'GET', route: '/.well-known/csaf/feed-tlp-white.json', expect: everyone(200) },
  { method: 'GET', route: '/.well-known/csaf/clear/index.txt', expect: everyone(200), contentType: /^text\/plain/ },
  { method: 'GET', route: '/.well-known/csaf/clear/changes.csv', expect: everyone(200), contentType: /^text\/csv/ },
  {
    method: 'GET',
    route: '/.well-known/csaf/clear/:year/:file',
    expect: everyone(404),
    build: () => ({ url: '/.well-known/csaf/clear/2026/vc-2026-9999.json' }),
  },
  { method: 'GET', route: '/advisories/', expect: everyone(200), contentType: /^text\/html/ },
  { method: 'GET', route: '/advisories/advisory.css', expect: everyone(200), contentType: /^text\/css/ },
  { method: 'GET', route: '/advisories/feed.atom', expect: everyone(200), contentType: /^application\/atom\+xml/ },
  { method: 'GET', route: '/advisories/:id', expect: everyone(404), build: () => ({ url: '/advisories/VC-2026-9999' }) },
  {
    method: 'GET',
    route: '/advisories/:id/cve/:file',
    expect: everyone(404),
    build: () => ({ url: '/advisories/VC-2026-9999/cve/CVE-2026-0001.json' }),
  },
  {
    method: 'GET',
    route: '/advisories/:id/osv/:file',
    expect: everyone(404),
    build: () => ({ url: '/advisories/VC-2026-9999/osv/x_VC-2026-9999-1.json' }),
  },

  // Signing in and out: open to anyone (a token or a session may sign in again)
  {
    method: 'POST',
    route: '/api/v1/auth/login',
    expect: everyone(200),
    build: () => ({ body: { email: LOGIN_EMAIL, password: PASSWORD } }),
  },
  { method: 'POST', route: '/api/v1/auth/logout', expect: everyone(200), twin: true },
  {
    method: 'POST',
    route: '/api/v1/auth/webauthn/login/options',
    expect: everyone(200),
    build: () => ({ body: { email: PASSKEY_EMAIL } }),
  },
  {
    method: 'POST',
    route: '/api/v1/auth/webauthn/login/verify',
    expect: everyone(200),
    build: async () => ({ body: { response: passkey.assert(await passkeyLoginOptions()) } }),
  },

  // The caller's own account
  //                                                 anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/me', expect: by(401, 200, 200, 200, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/me/password',
    expect: sessionOnly(200),
    twin: true,
    build: () => ({ body: { currentPassword: PASSWORD, newPassword: 'a different long password' } }),
  },
  { method: 'POST', route: '/api/v1/me/logout-everywhere', expect: sessionOnly(200), twin: true, build: () => ({ body: {} }) },
  { method: 'GET', route: '/api/v1/me/sessions', expect: sessionOnly(200) },
  {
    method: 'DELETE',
    route: '/api/v1/me/sessions/:id',
    expect: sessionOnly(200),
    twin: true,
    build: async (c) => {
      // A session's own user may end another of their sessions; others ask for one that is not theirs.
      const id = c.session && c.userId ? (await freshSession(c.userId)).id : (await freshSession(ids.user.aAdmin)).id;
      return { url: `/api/v1/me/sessions/${id}` };
    },
  },
  { method: 'GET', route: '/api/v1/me/tokens', expect: sessionOnly(200) },
  {
    method: 'POST',
    route: '/api/v1/me/tokens',
    expect: sessionOnly(201),
    build: (c) => ({ body: { name: `made by ${c.role}`, scopes: ['org:read'] } }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/me/tokens/:id',
    expect: sessionOnly(200),
    build: async (c) => {
      const { view } = await createToken(v.ctx, setupMeta, c.userId ?? ids.user.aAdmin, {
        name: `to revoke, ${c.role}`,
        scopes: ['org:read'],
        expiresInDays: 1,
      });
      return { url: `/api/v1/me/tokens/${view.id}` };
    },
  },
  {
    method: 'POST',
    route: '/api/v1/me/totp/enrol',
    expect: sessionOnly(200),
    twin: true,
    build: async (c) => {
      if (c.session && c.userId) await resetTotp(c.userId);
      return {};
    },
  },
  {
    method: 'POST',
    route: '/api/v1/me/totp/confirm',
    expect: sessionOnly(200),
    twin: true,
    build: async (c) => {
      if (!c.session || !c.userId) return { body: { code: '000000' } };
      await resetTotp(c.userId);
      const { secret } = await startTotpEnrolment(v.ctx, setupMeta, c.userId);
      return { body: { code: totpCode(secret, v.clock.now()) } };
    },
  },
  {
    method: 'POST',
    route: '/api/v1/me/totp/disable',
    expect: sessionOnly(200),
    twin: true,
    build: async (c) => {
      if (!c.session || !c.userId) return { body: { code: '000000' } };
      return { body: { code: totpCode(await enableTotp(c.userId), v.clock.now()) } };
    },
  },
  {
    method: 'POST',
    route: '/api/v1/me/recovery-codes',
    expect: sessionOnly(200),
    twin: true,
    build: async (c) => {
      if (c.session && c.userId) await enableTotp(c.userId);
      return {};
    },
  },

  // Passkeys: credentials, so a session only
  { method: 'GET', route: '/api/v1/me/webauthn', expect: sessionOnly(200) },
  { method: 'POST', route: '/api/v1/me/webauthn/register/options', expect: sessionOnly(200), twin: true },
  {
    method: 'POST',
    route: '/api/v1/me/webauthn/register/verify',
    expect: sessionOnly(201),
    twin: true,
    build: async (c) => {
      const key = new SoftAuthenticator(RP_ID, ORIGIN);
      if (!c.session) return { body: { response: key.register(FAKE_CREATION_OPTIONS) } };
      const options = await c.session.request({ method: 'POST', url: '/api/v1/me/webauthn/register/options' });
      expect(options.statusCode, options.body).toBe(200);
      return { body: { response: key.register(options.json()), name: `key of ${c.role}` } };
    },
  },
  {
    method: 'DELETE',
    route: '/api/v1/me/webauthn/:id',
    expect: sessionOnly(200),
    twin: true,
    build: async (c) => ({ url: `/api/v1/me/webauthn/${c.session ? await registerPasskey(c.session) : randomUUID()}` }),
  },

  // Organizations, users, audit
  //                                                         anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/orgs', expect: by(401, 200, 200, 200, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/orgs',
    expect: by(401, 403, 403, 403, 201, 403, 403),
    build: (c) => ({ body: { slug: `made-by-${slugOf(c.role)}`, name: `Made by ${c.role}`, kind: 'vendor' } }),
  },
  { method: 'GET', route: '/api/v1/orgs/:id', target: 'org', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'PATCH',
    route: '/api/v1/orgs/:id',
    target: 'org',
    expect: by(401, 403, 200, 404, 200, 200, 403),
    build: (c) => ({ body: { name: `Org A, renamed by ${c.role}` } }),
  },
  { method: 'GET', route: '/api/v1/orgs/:id/users', target: 'org', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/orgs/:id/users',
    target: 'org',
    expect: by(401, 403, 201, 404, 201, 201, 403),
    build: (c) => ({ body: { email: `added-by-${slugOf(c.role)}@a.example`, displayName: `Added by ${c.role}` } }),
  },
  { method: 'GET', route: '/api/v1/orgs/:id/audit', target: 'org', expect: by(401, 403, 200, 404, 200, 200, 403) },
  { method: 'GET', route: '/api/v1/users/:id', target: 'user', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'PATCH',
    route: '/api/v1/users/:id',
    target: 'user',
    expect: by(401, 403, 200, 404, 200, 200, 403),
    build: (c) => ({ body: { displayName: `Renamed by ${c.role}` } }),
  },
  { method: 'POST', route: '/api/v1/audit/verify', expect: by(401, 403, 403, 403, 200, 403, 403) },
  // Audit checkpoints: counts and hashes, for every signed-in user; an entry's proof for whoever may read the entry
  // (org A's admins and operators; anyone else gets the same 404 as for a missing entry).
  { method: 'GET', route: '/api/v1/audit/checkpoints', expect: by(401, 200, 200, 200, 200, 200, 403) },
  {
    method: 'GET',
    route: '/api/v1/audit/checkpoints/:seq',
    expect: by(401, 200, 200, 200, 200, 200, 403),
    build: () => ({ url: '/api/v1/audit/checkpoints/1' }),
  },
  {
    method: 'GET',
    route: '/api/v1/audit/entries/:seq/proof',
    expect: by(401, 404, 200, 404, 200, 200, 403),
    build: () => ({ url: `/api/v1/audit/entries/${ids.auditEntryA}/proof` }),
  },

  // Reports: intake is open to anyone; the reply link is the reporter's credential, whoever sends it
  //                                                  anon aMem aAdm bAdm  op  tAll tNone
  {
    method: 'POST',
    route: '/api/v1/reports',
    expect: by(201, 201, 201, 201, 201, 201, 403),
    build: (c) => ({ body: { ...REPORT_INPUT, title: `A report sent as ${c.role}` } }),
  },
  {
    method: 'GET',
    route: '/api/v1/reply/:token',
    expect: everyone(200),
    build: () => ({ url: `/api/v1/reply/${ids.replyToken}` }),
  },
  {
    method: 'POST',
    route: '/api/v1/reply/:token/messages',
    expect: everyone(201),
    build: (c) => ({ url: `/api/v1/reply/${ids.replyToken}/messages`, body: { body: `More details, sent as ${c.role}` } }),
  },
  // Triage: coordinator organizations only (the operator is in one); vendors do not learn it exists
  { method: 'GET', route: '/api/v1/reports', expect: by(401, 404, 404, 404, 200, 404, 403) },
  {
    method: 'GET',
    route: '/api/v1/reports/:id',
    expect: by(401, 404, 404, 404, 200, 404, 403),
    build: () => ({ url: `/api/v1/reports/${ids.report}` }),
  },
  {
    method: 'GET',
    route: '/api/v1/reports/:id/duplicates',
    expect: by(401, 404, 404, 404, 200, 404, 403),
    build: () => ({ url: `/api/v1/reports/${ids.report}/duplicates` }),
  },
  {
    method: 'POST',
    route: '/api/v1/reports/:id/transition',
    expect: by(401, 404, 404, 404, 200, 404, 403),
    build: async (c) => ({
      url: `/api/v1/reports/${c.role === 'operator' ? await freshReport() : ids.report}/transition`,
      body: { action: 'validate', note: `by ${c.role}` },
    }),
  },
  {
    method: 'GET',
    route: '/api/v1/reports/:id/messages',
    expect: by(401, 404, 404, 404, 200, 404, 403),
    build: () => ({ url: `/api/v1/reports/${ids.report}/messages` }),
  },
  {
    method: 'POST',
    route: '/api/v1/reports/:id/messages',
    expect: by(401, 404, 404, 404, 201, 404, 403),
    build: (c) => ({ url: `/api/v1/reports/${ids.report}/messages`, body: { body: `A question from ${c.role}` } }),
  },
  {
    method: 'GET',
    route: '/api/v1/reports/:id/attachments/:attachmentId',
    file: true,
    expect: by(401, 404, 404, 404, 200, 404, 403),
    build: () => ({ url: `/api/v1/reports/${ids.report}/attachments/${ids.attachment}` }),
  },
  {
    method: 'POST',
    route: '/api/v1/reports/:id/merge',
    expect: by(401, 404, 404, 404, 200, 404, 403),
    build: async (c) => ({
      url: `/api/v1/reports/${c.role === 'operator' ? await freshReport(true) : ids.report}/merge`,
      body: { caseId: ids.caseK },
    }),
  },
  {
    method: 'POST',
    route: '/api/v1/cases',
    expect: by(401, 404, 404, 404, 201, 404, 403),
    build: (c) => ({ body: { title: `Case opened by ${c.role}` } }),
  },

  // Cases: those whose organization is in the case (K: the operator's org C coordinates, A is a
  // vendor); to anyone else a case does not exist. Managing it is the coordinator's.
  //                                                              anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/cases', expect: by(401, 200, 200, 200, 200, 200, 403) },
  { method: 'GET', route: '/api/v1/cases/:id', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  { method: 'GET', route: '/api/v1/cases/:id/timeline', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  // Purging (crypto-shredding) is the operators', from a session; it acts on a fresh case like K.
  {
    method: 'POST',
    route: '/api/v1/cases/:id/purge',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: async (c) => ({
      url: `/api/v1/cases/${c.role === 'operator' ? await freshCaseLikeK() : ids.caseK}/purge`,
      body: { reason: `purged by ${c.role}` },
    }),
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/participants',
    target: 'case',
    expect: by(401, 403, 403, 404, 201, 403, 403),
    build: async (c, id) => ({
      url: `/api/v1/cases/${id}/participants`,
      body: { orgId: c.role === 'operator' && id === ids.caseK ? await freshOrg() : ids.orgB, role: 'vendor' },
    }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/cases/:id/participants/:orgId',
    target: 'case',
    expect: by(401, 403, 403, 404, 200, 403, 403),
    build: async (c, id) => {
      let orgId = ids.orgA;
      if (c.role === 'operator' && id === ids.caseK) {
        orgId = await freshOrg();
        await addParticipant(v.ctx, setupMeta, id, { orgId, role: 'other' });
      }
      return { url: `/api/v1/cases/${id}/participants/${orgId}`, body: { reason: `removed by ${c.role}` } };
    },
  },
  { method: 'POST', route: '/api/v1/cases/:id/acknowledge', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/report-management',
    target: 'case',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: async (c, id) => ({ body: { action: await nextRmAction(id, orgOfRole(c.role)) } }),
  },
  { method: 'GET', route: '/api/v1/cases/:id/messages', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/messages',
    target: 'case',
    expect: by(401, 201, 201, 404, 201, 201, 403),
    build: (c) => ({ body: { subject: `From ${c.role}`, body: 'We reproduced it.', tlp: 'GREEN' } }),
  },
  { method: 'GET', route: '/api/v1/cases/:id/artifacts', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/artifacts',
    target: 'case',
    expect: by(401, 201, 201, 404, 201, 201, 403),
    build: (c) => ({
      body: {
        filename: `notes-${slugOf(c.role)}.txt`,
        contentBase64: Buffer.from(`notes by ${c.role}`).toString('base64'),
        tlp: 'GREEN',
      },
    }),
  },
  {
    method: 'GET',
    route: '/api/v1/cases/:id/artifacts/:artifactId',
    target: 'case',
    file: true,
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: (_c, id) => ({ url: `/api/v1/cases/${id}/artifacts/${ids.artifact}` }),
  },

  // Embargo and case state: reading is for those in the case; proposing and answering for its
  // participants; ending an embargo and public events for the coordinator.
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/cases/:id/embargo', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  { method: 'GET', route: '/api/v1/cases/:id/desiderata', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  // Leak tracing names an organization: the case's coordinator (the operator's C) and operators only.
  {
    method: 'POST',
    route: '/api/v1/cases/:id/trace',
    target: 'case',
    expect: by(401, 403, 403, 404, 200, 403, 403),
    build: () => ({ body: { excerpt: 'Vulnerabilities (1): - CVE-2026-0001: a leaked line' } }),
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/embargo/proposals',
    target: 'case',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: async (_c, id) => ({ url: `/api/v1/cases/${await caseFor(id)}/embargo/proposals`, body: {} }),
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/embargo/proposals/:proposalId/accept',
    target: 'case',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: async (c, id) => {
      const caseId = await caseFor(id);
      // The other side proposes; the caller answers. (In a case the caller is not in, any proposal id.)
      const proposal = caseId === id ? randomUUID() : await propose(caseId, c.role === 'operator' ? 'vendor' : 'coordinator');
      return { url: `/api/v1/cases/${caseId}/embargo/proposals/${proposal}/accept` };
    },
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/embargo/proposals/:proposalId/reject',
    target: 'case',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: async (c, id) => {
      const caseId = await caseFor(id);
      const proposal = caseId === id ? randomUUID() : await propose(caseId, c.role === 'operator' ? 'vendor' : 'coordinator');
      return { url: `/api/v1/cases/${caseId}/embargo/proposals/${proposal}/reject`, body: { reason: `not ${c.role}'s date` } };
    },
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/embargo/terminate',
    target: 'case',
    expect: by(401, 403, 403, 404, 200, 403, 403),
    build: async (c, id) => {
      let caseId = id;
      if (c.role === 'operator' && id === ids.caseK) {
        // An active embargo: the vendor proposes, the coordinator accepts.
        caseId = await freshCaseLikeK();
        const proposal = await propose(caseId, 'vendor');
        const ok = await sessions.operator.request({
          method: 'POST',
          url: `/api/v1/cases/${caseId}/embargo/proposals/${proposal}/accept`,
        });
        expect(ok.statusCode, ok.body).toBe(200);
      }
      return { url: `/api/v1/cases/${caseId}/embargo/terminate`, body: { reason: 'public-awareness' } };
    },
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/state',
    target: 'case',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    // Vendor A's fix is ready: recorded by A itself or by the coordinator.
    build: async (_c, id) => ({ url: `/api/v1/cases/${await caseFor(id)}/state`, body: { event: 'F', orgId: ids.orgA } }),
  },

  // Vulnerabilities: read by those in the case, managed by the coordinator; statements are the
  // vendors' own (the coordinator may state for a vendor), the matrix is read by everyone in it.
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/cases/:id/vulnerabilities', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  { method: 'GET', route: '/api/v1/cases/:id/statements', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/vulnerabilities',
    target: 'case',
    expect: by(401, 403, 403, 404, 201, 403, 403),
    build: (c) => ({
      body: { title: `Found by ${c.role}`, cvss40: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
    }),
  },
  {
    method: 'PATCH',
    route: '/api/v1/cases/:id/vulnerabilities/:vulnerabilityId',
    target: 'case',
    expect: by(401, 403, 403, 404, 200, 403, 403),
    build: (c, id) => ({
      url: `/api/v1/cases/${id}/vulnerabilities/${id === ids.caseKB ? ids.vulnKB : ids.vuln}`,
      body: { description: `edited by ${c.role}` },
    }),
  },
  {
    method: 'PUT',
    route: '/api/v1/cases/:id/vulnerabilities/:vulnerabilityId/statement',
    target: 'case',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    // Vendor A states its own status; the coordinator states it on A's behalf.
    build: (_c, id) => ({
      url: `/api/v1/cases/${id}/vulnerabilities/${id === ids.caseKB ? ids.vulnKB : ids.vuln}/statement`,
      body: { orgId: ids.orgA, status: 'affected', fixedVersions: ['2.0.1'] },
    }),
  },

  // Release: its status is read by those in the case; starting and previewing it are the
  // coordinator's. (The start is sent with a wrong confirmation: 400 proves the caller got past
  // authorization without releasing case K under the rows that follow.)
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/cases/:id/release', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  { method: 'GET', route: '/api/v1/cases/:id/release/preview', target: 'case', expect: by(401, 403, 403, 404, 200, 403, 403) },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/release',
    target: 'case',
    expect: by(401, 403, 403, 404, 400, 403, 403),
    build: () => ({ body: { confirm: 'NOT-THE-REF' } }),
  },

  // Tents: read by those in the case (each its own), managed by the coordinator.
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/cases/:id/tents', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  { method: 'GET', route: '/api/v1/cases/:id/briefing', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'PUT',
    route: '/api/v1/cases/:id/tents',
    target: 'case',
    expect: by(401, 403, 403, 404, 200, 403, 403),
    // One open tent holding the case's vendor at its ceiling: nobody's view of the case changes.
    build: (_c, id) => ({
      body: {
        tents: [
          {
            id: 'vendors',
            name: 'Vendors',
            members: { orgIds: [id === ids.caseKB ? ids.orgB : ids.orgA], tiers: [] },
            opens: { kind: 'immediately' },
            tlpCeiling: 'AMBER',
            artifacts: 'all',
          },
        ],
      },
    }),
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/tents/:tentId/open',
    target: 'case',
    expect: by(401, 403, 403, 404, 200, 403, 403),
    // A closed tent of its own for each caller, opened early with a reason.
    build: async (c, id) => {
      const tentId = `later-${c.role.toLowerCase()}-${randomBytes(3).toString('hex')}`;
      const spec = {
        id: tentId,
        name: 'Later',
        members: { orgIds: [], tiers: [] },
        opens: { kind: 'relative', offsetDays: -3 },
        tlpCeiling: 'GREEN',
        artifacts: 'all',
      };
      const now = v.clock.now();
      const exists = await v.db.selectFrom('cases').select('id').where('id', '=', id).executeTakeFirst();
      if (exists)
        await v.db
          .insertInto('case_tents')
          .values({ case_id: id, tent_id: tentId, position: 99, spec: JSON.stringify(spec), created_at: now, updated_at: now })
          .execute();
      return { url: `/api/v1/cases/${id}/tents/${tentId}/open`, body: { reason: `asked by ${c.role}` } };
    },
  },

  // Parachute cords: read by those in the case, set by the coordinator, acknowledged and
  // signalled by every participant. Feeds: the operator's.
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/cases/:id/cords', target: 'case', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'PUT',
    route: '/api/v1/cases/:id/cords',
    target: 'case',
    expect: by(401, 403, 403, 404, 200, 403, 403),
    build: () => ({
      body: {
        cords: [
          { id: 'exploit-public', kind: 'exploit-public', action: 'release-now' },
          { id: 'leak', kind: 'leak-detected', action: 'alert' },
        ],
        keywords: ['access matrix'],
      },
    }),
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/cords/ack',
    target: 'case',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: async (_c, id) => ({ body: { setHash: (await loadCords(v.ctx, v.db, id)).hash } }),
  },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/signals',
    target: 'case',
    expect: by(401, 201, 201, 404, 201, 201, 403),
    build: (c) => ({ body: { kind: 'leak-detected', evidence: { text: `seen by ${c.role}` } } }),
  },
  { method: 'GET', route: '/api/v1/feeds', expect: by(401, 403, 403, 403, 200, 403, 403) },
  {
    method: 'POST',
    route: '/api/v1/feeds',
    expect: by(401, 403, 403, 403, 201, 403, 403),
    build: (c) => ({ body: { kind: 'kev', name: `KEV of ${c.role}`, path: '/nonexistent/kev.json', enabled: false } }),
  },
  {
    method: 'PUT',
    route: '/api/v1/feeds/:id',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: async (c) => ({
      url: `/api/v1/feeds/${await aFeed()}`,
      body: { kind: 'osv', name: `OSV as changed by ${c.role}`, path: '/nonexistent/osv.json', enabled: false },
    }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/feeds/:id',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: async () => ({ url: `/api/v1/feeds/${await aFeed()}`, body: {} }),
  },
  {
    method: 'POST',
    route: '/api/v1/feeds/:id/poll',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: async () => ({ url: `/api/v1/feeds/${await aFeed()}/poll`, body: {} }),
  },

  // Communities: names and rules are open to every signed-in caller; members see members; stewards
  // (here the operator) run them; organization admins apply and sponsor; a person accepts the NDA.
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/communities', expect: by(401, 200, 200, 200, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/communities',
    expect: by(401, 403, 403, 403, 201, 403, 403),
    build: (c) => ({
      body: {
        slug: `made-by-${c.role.toLowerCase()}-${randomBytes(3).toString('hex')}`,
        name: `Made by ${c.role}`,
        settings: COMMUNITY_SETTINGS,
        stewardUserIds: [ids.user.operator],
      },
    }),
  },
  {
    method: 'GET',
    route: '/api/v1/communities/:id',
    expect: by(401, 200, 200, 200, 200, 200, 403),
    build: () => ({ url: cm('') }),
  },
  {
    method: 'PATCH',
    route: '/api/v1/communities/:id',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: (c) => ({ url: cm(''), body: { charter: `Charter as edited by ${c.role}` } }),
  },
  {
    method: 'GET',
    route: '/api/v1/communities/:id/stewards',
    expect: by(401, 200, 200, 200, 200, 200, 403),
    build: () => ({ url: cm('/stewards') }),
  },
  {
    method: 'PUT',
    route: '/api/v1/communities/:id/stewards/:userId',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: () => ({ url: cm(`/stewards/${ids.aTarget}`) }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/communities/:id/stewards/:userId',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: () => ({ url: cm(`/stewards/${ids.aTarget}`) }),
  },
  {
    method: 'GET',
    route: '/api/v1/communities/:id/nda',
    expect: by(401, 200, 200, 200, 200, 200, 403),
    build: () => ({ url: cm('/nda') }),
  },
  {
    method: 'POST',
    route: '/api/v1/communities/:id/nda',
    expect: by(401, 403, 403, 403, 201, 403, 403),
    build: (c) => ({ url: cm('/nda'), body: { text: `NDA text as published by ${c.role} ${randomBytes(4).toString('hex')}` } }),
  },
  {
    method: 'POST',
    route: '/api/v1/communities/:id/nda/:version/accept',
    expect: sessionOnly(200),
    build: async () => {
      const nda = await v.db
        .selectFrom('nda_versions')
        .select(['version', 'hash'])
        .where('community_id', '=', ids.community)
        .orderBy('version', 'desc')
        .executeTakeFirstOrThrow();
      return { url: cm(`/nda/${nda.version}/accept`), body: { hash: nda.hash } };
    },
  },
  {
    method: 'GET',
    route: '/api/v1/communities/:id/nda/acceptances',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: () => ({ url: cm('/nda/acceptances') }),
  },
  {
    method: 'GET',
    route: '/api/v1/communities/:id/members',
    expect: by(401, 200, 200, 403, 200, 200, 403),
    build: () => ({ url: cm('/members') }),
  },
  {
    method: 'GET',
    route: '/api/v1/communities/:id/members/:orgId',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: () => ({ url: cm(`/members/${ids.orgA}`) }),
  },
  {
    method: 'POST',
    route: '/api/v1/communities/:id/members/:orgId/events',
    // Sponsoring a fresh applicant: admins of an admitted member only (the operator's organization is
    // admitted, but the operator is not its admin).
    expect: by(401, 403, 200, 403, 403, 200, 403),
    build: async (c) => {
      const applicant = await makeOrg(v, `applicant-${c.role.toLowerCase()}-${randomBytes(3).toString('hex')}`);
      const now = v.clock.now();
      await v.db
        .insertInto('community_members')
        .values({ community_id: ids.community, org_id: applicant.id, state: 'applied', tier: null, updated_at: now })
        .execute();
      await v.db
        .insertInto('membership_events')
        .values({
          community_id: ids.community,
          org_id: applicant.id,
          type: 'apply',
          by_user_id: ids.aTarget,
          by_org_id: applicant.id,
          at: now,
          reason: 'applied',
          to_state: 'applied',
        })
        .execute();
      return { url: cm(`/members/${applicant.id}/events`), body: { type: 'sponsor', reason: `vouched for by ${c.role}` } };
    },
  },
  {
    method: 'PATCH',
    route: '/api/v1/communities/:id/members/:orgId',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: () => ({ url: cm(`/members/${ids.orgA}`), body: { tier: 'partner' } }),
  },
  {
    method: 'GET',
    route: '/api/v1/communities/:id/members/:orgId/exposure',
    expect: by(401, 403, 403, 403, 200, 403, 403),
    build: () => ({ url: cm(`/members/${ids.orgA}/exposure`) }),
  },
  // Products and SBOMs: any member of the organization (and operators); who ships what a case's
  // vulnerabilities affect is for the case's coordinator alone.
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/orgs/:id/products', target: 'org', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/orgs/:id/products',
    target: 'org',
    expect: by(401, 201, 201, 404, 201, 201, 403),
    build: (c) => ({ body: { name: `Product of ${c.role} ${unique()}` } }),
  },
  {
    method: 'GET',
    route: '/api/v1/orgs/:id/products/:productId',
    target: 'org',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: (_c, id) => ({ url: `/api/v1/orgs/${id}/products/${ids.product}` }),
  },
  {
    method: 'PUT',
    route: '/api/v1/orgs/:id/products/:productId/sboms/:version',
    target: 'org',
    expect: by(401, 200, 200, 404, 200, 200, 403),
    build: (_c, id) => ({
      url: `/api/v1/orgs/${id}/products/${ids.product}/sboms/1.${unique()}`,
      body: {
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        components: [{ type: 'library', name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' }],
      },
    }),
  },
  { method: 'GET', route: '/api/v1/cases/:id/affected', target: 'case', expect: by(401, 403, 403, 404, 200, 403, 403) },
  {
    method: 'POST',
    route: '/api/v1/cases/:id/affected',
    target: 'case',
    expect: by(401, 403, 403, 404, 200, 403, 403),
    build: () => ({ body: { components: [{ purl: 'pkg:npm/left-pad', vers: 'vers:npm/<2.0.0' }], paths: true } }),
  },

  // CVE Services (a local test double here): reserving a CVE id is the case coordinator's.
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  {
    method: 'POST',
    route: '/api/v1/cases/:id/vulnerabilities/:vulnerabilityId/reserve-cve',
    target: 'case',
    expect: by(401, 403, 403, 404, 201, 403, 403),
    build: async (c, id) => {
      let vuln = id === ids.caseKB ? ids.vulnKB : ids.vuln;
      if (c.role === 'operator' && id === ids.caseK) {
        // A vulnerability without a CVE id each time: the operator's org coordinates K.
        const res = await sessions.operator.request({
          method: 'POST',
          url: `/api/v1/cases/${id}/vulnerabilities`,
          payload: { title: `Needs a CVE id ${unique()}` },
        });
        expect(res.statusCode, res.body).toBe(201);
        vuln = (res.json() as { id: string }).id;
      }
      return { url: `/api/v1/cases/${id}/vulnerabilities/${vuln}/reserve-cve`, body: {} };
    },
  },

  // Webhooks: instance-wide subscriptions are the operators'; an organization's are its admins'
  // (and operators'). Another organization's subscription, or an instance-wide one, is a 404.
  //                                                     anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/webhooks', expect: by(401, 403, 403, 403, 200, 403, 403) },
  {
    method: 'POST',
    route: '/api/v1/webhooks',
    expect: by(401, 403, 403, 403, 201, 403, 403),
    build: () => ({ body: { url: WEBHOOK_URL, events: ['advisory.published'] } }),
  },
  { method: 'GET', route: '/api/v1/orgs/:id/webhooks', target: 'org', expect: by(401, 403, 200, 404, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/orgs/:id/webhooks',
    target: 'org',
    expect: by(401, 403, 201, 404, 201, 201, 403),
    build: () => ({ body: { url: WEBHOOK_URL, events: ['advisory.published', 'ping'] } }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/webhooks/:id',
    expect: by(401, 403, 200, 404, 200, 200, 403),
    build: async () => ({ url: `/api/v1/webhooks/${await freshWebhook()}` }),
  },
  {
    method: 'POST',
    route: '/api/v1/webhooks/:id/secret',
    expect: by(401, 403, 200, 404, 200, 200, 403),
    build: async () => ({ url: `/api/v1/webhooks/${await freshWebhook()}/secret` }),
  },
  {
    method: 'POST',
    route: '/api/v1/webhooks/:id/ping',
    expect: by(401, 403, 202, 404, 202, 202, 403),
    build: async () => ({ url: `/api/v1/webhooks/${await freshWebhook()}/ping` }),
  },
  {
    method: 'GET',
    route: '/api/v1/webhooks/:id/deliveries',
    expect: by(401, 403, 200, 404, 200, 200, 403),
    build: async () => ({ url: `/api/v1/webhooks/${await freshWebhook()}/deliveries` }),
  },
  {
    method: 'POST',
    route: '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    expect: by(401, 403, 202, 404, 202, 202, 403),
    build: async () => {
      const id = await freshWebhook();
      const d = await sendPing(
        v.ctx,
        setupMeta,
        (await listSubscriptions(v.ctx, ids.orgA)).find((s) => s.id === id) as SubscriptionView,
      );
      // Workers are off here: mark the delivery finished, as if it had failed.
      await v.db.updateTable('webhook_deliveries').set({ status: 'failed' }).where('id', '=', d.id).execute();
      return { url: `/api/v1/webhooks/${id}/deliveries/${d.id}/redeliver` };
    },
  },
];

/** Webhooks here never leave the process (workers are off); private targets are allowed in this village. */
const WEBHOOK_URL = 'http://127.0.0.1:9/hook';
/** A subscription of org A, for rows that change or delete one. */
const freshWebhook = async () =>
  (await createSubscription(v.ctx, setupMeta, ids.orgA, { url: WEBHOOK_URL, events: ['advisory.published'] })).id;
/** A fresh usable public key (each upload must be a new fingerprint). */
const freshKey = async () =>
  (await makeKeyPair(`key-${unique()}@village.example`, { created: new Date(v.clock.now().getTime() - 60_000) })).publicArmored;
/** A key stored for a user or an organization (org ids that do not exist get none). */
async function storedKey(owner: { userId: string } | { orgId: string }): Promise<string> {
  if ('orgId' in owner && owner.orgId !== ids.orgA && owner.orgId !== ids.orgB) return randomUUID();
  const now = v.clock.now();
  const k = await v.db
    .insertInto('pgp_keys')
    .values({
      user_id: 'userId' in owner ? owner.userId : null,
      org_id: 'orgId' in owner ? owner.orgId : null,
      user_ids: [],
      expires_at: null,
      added_by: null,
      fingerprint: randomBytes(20).toString('hex').toUpperCase(),
      armored: await freshKey(),
      algorithm: 'eddsaLegacy',
      key_created_at: now,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return k.id;
}

const PGP_ROWS: Row[] = [
  // OpenPGP public keys: one's own (a session only); an organization's (members read, admins write)
  //                                                                anon aMem aAdm bAdm  op  tAll tNone
  { method: 'GET', route: '/api/v1/account/pgp-keys', expect: sessionOnly(200) },
  {
    method: 'POST',
    route: '/api/v1/account/pgp-keys',
    expect: sessionOnly(201),
    build: async () => ({ body: { armored: await freshKey() } }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/account/pgp-keys/:keyId',
    expect: sessionOnly(200),
    build: async (c) => ({ url: `/api/v1/account/pgp-keys/${await storedKey({ userId: c.userId ?? ids.user.aAdmin })}` }),
  },
  { method: 'GET', route: '/api/v1/orgs/:id/pgp-keys', target: 'org', expect: by(401, 200, 200, 404, 200, 200, 403) },
  {
    method: 'POST',
    route: '/api/v1/orgs/:id/pgp-keys',
    target: 'org',
    expect: by(401, 403, 201, 404, 201, 201, 403),
    build: async () => ({ body: { armored: await freshKey() } }),
  },
  {
    method: 'DELETE',
    route: '/api/v1/orgs/:id/pgp-keys/:keyId',
    target: 'org',
    expect: by(401, 403, 200, 404, 200, 200, 403),
    build: async (_c, id) => ({ url: `/api/v1/orgs/${id}/pgp-keys/${await storedKey({ orgId: id })}` }),
  },
];
ROWS.push(...PGP_ROWS);

const COMMUNITY_SETTINGS = {
  charter: 'Members coordinate under a light-weight NDA.',
  tiers: ['core', 'partner', 'observer'],
  embargo: { defaultDays: 45, maxDays: 90 },
  admission: { kind: 'sponsors', sponsors: 2, stewardApproval: true },
  governmentCerts: { certs: [], notify: { when: 'at-release' } },
};
/** A URL under community M. */
const cm = (rest: string) => `/api/v1/communities/${ids.community}${rest}`;

/** The problem type each denial status must carry. */
const DENIAL_TYPE: Record<number, string> = {
  400: 'urn:village:problem:validation-error',
  401: 'urn:village:problem:unauthenticated',
  403: 'urn:village:problem:forbidden',
  404: 'urn:village:problem:not-found',
};

const fill = (route: string, id: string) => route.replace(':id', id);
const defaultId = (row: Row) => (row.target === 'user' ? ids.aTarget : row.target === 'case' ? ids.caseK : ids.orgA);

/** Sends a row's request as a caller; `id` replaces the target (default: the row's own). */
async function perform(row: Row, c: Caller, id = defaultId(row)) {
  const built: Built = (await row.build?.(c, id)) ?? {};
  const target = built.url ?? fill(row.route, id);
  const res = await send(c, { method: row.method, url: target, ...(built.body !== undefined ? { payload: built.body } : {}) });
  return { res, url: target };
}

beforeAll(async () => {
  cveDouble = await new CveServicesDouble(CVE_CREDS).start();
  v = await startTestVillage({
    workers: false,
    env: {
      VILLAGE_LOGIN_IP_LIMIT: '100000',
      VILLAGE_WEBHOOK_ALLOW_PRIVATE: '1',
      VILLAGE_CVE_API_URL: cveDouble.url,
      VILLAGE_CVE_API_ORG: CVE_CREDS.org,
      VILLAGE_CVE_API_USER: CVE_CREDS.user,
      VILLAGE_CVE_API_KEY: CVE_CREDS.apiKey,
    },
  });
  ids.orgA = (await makeOrg(v, 'org-a')).id;
  ids.orgB = (await makeOrg(v, 'org-b')).id;
  ids.orgC = (await makeOrg(v, 'coordinators', 'coordinator')).id;
  const people: Record<SessionRole, { org: string; role: 'member' | 'admin'; operator?: boolean }> = {
    aMember: { org: ids.orgA, role: 'member' },
    aAdmin: { org: ids.orgA, role: 'admin' },
    bAdmin: { org: ids.orgB, role: 'admin' },
    operator: { org: ids.orgC, role: 'member', operator: true },
  };
  for (const r of SESSION_ROLES) {
    const p = people[r];
    const o = { role: p.role, operator: p.operator ?? false };
    ids.user[r] = (await makeUser(v, p.org, `${slugOf(r)}@village.example`, o)).id;
    ids.twin[r] = (await makeUser(v, p.org, `${slugOf(r)}-twin@village.example`, o)).id;
  }
  ids.aTarget = (await makeUser(v, ids.orgA, 'target@a.example')).id;
  ids.bTarget = (await makeUser(v, ids.orgB, 'target@b.example')).id;
  await makeUser(v, ids.orgA, LOGIN_EMAIL);
  const passkeyUser = await makeUser(v, ids.orgA, PASSKEY_EMAIL);
  // Each role signs in once, the way a browser does (argon2 makes this the slow part).
  for (const r of SESSION_ROLES) sessions[r] = await signIn(v, `${slugOf(r)}@village.example`);
  tokens.tokenAll = (
    await createToken(v.ctx, setupMeta, ids.user.aAdmin, { name: 'all', scopes: [...TOKEN_SCOPES], expiresInDays: 30 })
  ).token;
  tokens.tokenNone = (
    await createToken(v.ctx, setupMeta, ids.user.aAdmin, { name: 'none', scopes: [], expiresInDays: 30 })
  ).token;
  await registerPasskey((await freshSession(passkeyUser.id)).session, passkey);

  // A report with an attachment; cases K (A is a vendor) and KB (B is); an artifact in K.
  const report = await submitReport(v.ctx, { ...setupMeta, ip: '10.9.9.9' }, REPORT_INPUT, [
    await checkFile('file', 'notes.txt', Buffer.from('proof-of-concept notes')),
  ]);
  ids.report = report.id;
  ids.replyToken = report.replyToken;
  ids.attachment = (
    await v.db.selectFrom('report_attachments').select('id').where('report_id', '=', report.id).executeTakeFirstOrThrow()
  ).id;
  const open = async (title: string, vendor: string) => {
    const c = await sessions.operator.request({ method: 'POST', url: '/api/v1/cases', payload: { title } });
    expect(c.statusCode, c.body).toBe(201);
    const id = (c.json() as { id: string }).id;
    const p = await sessions.operator.request({
      method: 'POST',
      url: `/api/v1/cases/${id}/participants`,
      payload: { orgId: vendor, role: 'vendor', tlpCeiling: 'AMBER' },
    });
    expect(p.statusCode, p.body).toBe(201);
    return id;
  };
  // Community M: stewarded by the operator; A and C admitted; an NDA in force.
  const cmty = await createCommunity(v.ctx, setupMeta, {
    slug: 'community-m',
    name: 'Community M',
    settings: CommunitySettingsSchema.parse(COMMUNITY_SETTINGS),
    stewardUserIds: [ids.user.operator],
  });
  ids.community = cmty.id;
  for (const orgId of [ids.orgA, ids.orgC]) {
    await v.db
      .insertInto('community_members')
      .values({ community_id: cmty.id, org_id: orgId, state: 'admitted', tier: 'core', updated_at: v.clock.now() })
      .execute();
  }
  await publishNda(v.ctx, setupMeta, cmty.id, 'Community M agreement, version 1.');
  ids.caseK = await open('Case K', ids.orgA);
  ids.caseKB = await open('Case KB', ids.orgB);
  const art = await sessions.operator.request({
    method: 'POST',
    url: `/api/v1/cases/${ids.caseK}/artifacts`,
    payload: { filename: 'poc.txt', contentBase64: Buffer.from('proof of concept').toString('base64'), tlp: 'GREEN' },
  });
  expect(art.statusCode, art.body).toBe(201);
  ids.artifact = (art.json() as { id: string }).id;
  for (const [key, caseId] of [
    ['vuln', ids.caseK],
    ['vulnKB', ids.caseKB],
  ] as const) {
    const vr = await sessions.operator.request({
      method: 'POST',
      url: `/api/v1/cases/${caseId}/vulnerabilities`,
      payload: { title: 'Nonce reuse', cvss31: 'CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N' },
    });
    expect(vr.statusCode, vr.body).toBe(201);
    ids[key] = (vr.json() as { id: string }).id;
  }
  const entryA = await v.ctx.db
    .selectFrom('audit_log')
    .select('seq')
    .where('subject_org_id', '=', ids.orgA)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirstOrThrow();
  ids.auditEntryA = String(entryA.seq);
  await createCheckpoint(v.ctx);
});
afterAll(async () => {
  await v?.close();
  await cveDouble?.stop();
});
beforeAll(async () => {
  ids.product = (await createProduct(v.ctx, setupMeta, ids.orgA, { name: 'Widget' })).id;
});

describe('route coverage', () => {
  it('has a row for every route the app serves (add one for each new route)', async () => {
    const served = listRoutes(v.app).filter((r) => !isDocsRoute(r.url));
    const table = new Set(ROWS.map((r) => routeKey(r.method, r.route)));
    const missing = served.map((r) => routeKey(r.method, r.url)).filter((k) => !table.has(k));
    expect(missing, 'routes missing from the access matrix').toEqual([]);
    const servedKeys = new Set(served.map((r) => routeKey(r.method, r.url)));
    const stale = [...table].filter((k) => !servedKeys.has(k));
    expect(stale, 'rows for routes the app does not serve').toEqual([]);
    expect(table.size, 'one row per route').toBe(ROWS.length);
    // The route-tree parser and the OpenAPI document agree on every documented operation.
    for (const op of await openApiOperations(v.app)) expect(servedKeys).toContain(routeKey(op.method, op.url));
  });
});

const CASES = ROWS.flatMap((row) =>
  ROLES.map((role) => ({ row, role, name: `${row.method} ${row.route} as ${role} → ${row.expect[role]}` })),
);

describe('access matrix', () => {
  it.each(CASES)('$name', async ({ row, role }) => {
    const caller = await callerFor(role, row.twin ?? false);
    const { res, url } = await perform(row, caller);
    const expected = row.expect[role];
    expect(res.statusCode, `${row.method} ${url} as ${role}: ${res.body}`).toBe(expected);
    if (expected >= 400) {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = res.json() as { type: string; status: number };
      expect(body.status).toBe(expected);
      expect(body.type).toBe(DENIAL_TYPE[expected]);
    } else if (row.file) {
      expect(res.headers['content-disposition']).toMatch(/^attachment;/);
    } else if (row.contentType) {
      expect(res.headers['content-type']).toMatch(row.contentType);
    } else if (row.page) {
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toBe(UI_CSP);
    } else {
      expect(res.headers['content-type']).toMatch(row.contentType ?? /^application\/json/);
    }
  });
});

describe('hidden denials', () => {
  // Another organization's org or user id, or a case the caller's organization is not in, must
  // answer exactly like an id that does not exist. (Case K has org A in it; case KB has not.)
  const foreign: Array<{ role: Role; org: 'A' | 'B' }> = [
    { role: 'aMember', org: 'B' },
    { role: 'aAdmin', org: 'B' },
    { role: 'tokenAll', org: 'B' },
    { role: 'bAdmin', org: 'A' },
  ];
  const cases = ROWS.filter((r) => r.target).flatMap((row) =>
    foreign.map((f) => ({
      row,
      ...f,
      name: `${row.method} ${row.route}: ${f.role} on ${row.target === 'case' ? `case ${f.org === 'A' ? 'K' : 'KB'}` : `org ${f.org}'s ${row.target}`}`,
    })),
  );
  const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined, requestId: undefined });

  it.each(cases)('$name is a 404 like a random id', async ({ row, role, org }) => {
    const byOrg = { org: [ids.orgA, ids.orgB], user: [ids.aTarget, ids.bTarget], case: [ids.caseK, ids.caseKB] } as const;
    const existing = byOrg[row.target ?? 'org'][org === 'A' ? 0 : 1];
    const caller = await callerFor(role, false);
    const a = await perform(row, caller, existing);
    const b = await perform(row, caller, randomUUID());
    expect(a.res.statusCode, a.res.body).toBe(404);
    expect(b.res.statusCode, b.res.body).toBe(404);
    expect(a.res.headers['content-type']).toBe(b.res.headers['content-type']);
    expect(strip(a.res.json())).toEqual(strip(b.res.json()));
    expect(a.res.json().type).toBe('urn:village:problem:not-found');
  });

  it('the operator sees both organizations', async () => {
    for (const id of [ids.orgA, ids.orgB]) {
      const res = await sessions.operator.request({ method: 'GET', url: `/api/v1/orgs/${id}` });
      expect(res.statusCode).toBe(200);
    }
    const list = await sessions.operator.request({ method: 'GET', url: '/api/v1/orgs' });
    expect((list.json() as Array<{ id: string }>).map((o) => o.id)).toEqual(
      expect.arrayContaining([ids.orgA, ids.orgB, ids.orgC]),
    );
  });

  it('another user’s token, session or passkey is a 404 like a random id, and stays', async () => {
    const token = (await createToken(v.ctx, setupMeta, ids.user.bAdmin, { name: 'b', scopes: ['org:read'], expiresInDays: 1 }))
      .view;
    const session = await freshSession(ids.user.bAdmin);
    const owner = (await freshSession(ids.twin.bAdmin)).session;
    const passkeyId = await registerPasskey(owner);
    const cases: Array<[string, string, string]> = [
      ['/api/v1/me/tokens/', token.id, randomUUID()],
      ['/api/v1/me/sessions/', session.id, randomBytes(32).toString('hex')],
      ['/api/v1/me/webauthn/', passkeyId, randomUUID()],
    ];
    for (const [prefix, existing, random] of cases) {
      const a = await sessions.aAdmin.request({ method: 'DELETE', url: prefix + existing });
      const b = await sessions.aAdmin.request({ method: 'DELETE', url: prefix + random });
      expect(a.statusCode, `${prefix}: ${a.body}`).toBe(404);
      expect(b.statusCode, `${prefix}: ${b.body}`).toBe(404);
      expect(strip(a.json()), prefix).toEqual(strip(b.json()));
    }
    const t = await v.db.selectFrom('api_tokens').select('revoked_at').where('id', '=', token.id).executeTakeFirstOrThrow();
    expect(t.revoked_at).toBeNull();
    expect(await v.db.selectFrom('sessions').select('id').where('id', '=', session.id).executeTakeFirst()).toBeDefined();
    const keys = await owner.request({ method: 'GET', url: '/api/v1/me/webauthn' });
    expect((keys.json() as Array<{ id: string }>).map((k) => k.id)).toContain(passkeyId);
  });

  // authorizeCase() checks a token's scope before it looks the case up, so the answer is the same.
  it('a token without the cases scopes cannot tell a case it is not in from a random id', async () => {
    const none = await callerFor('tokenNone', false);
    for (const path of ['', '/timeline', '/embargo', '/desiderata']) {
      const a = await send(none, { method: 'GET', url: `/api/v1/cases/${ids.caseKB}${path}` });
      const b = await send(none, { method: 'GET', url: `/api/v1/cases/${randomUUID()}${path}` });
      expect(`${path}: ${a.statusCode} ${a.json().type}`).toBe(`${path}: ${b.statusCode} ${b.json().type}`);
    }
  });

  // An operator's work in another organization belongs to that organization's log, not to the
  // log of the operator's home organization.
  it('an organization’s audit log shows its non-operator admin nothing about other organizations', async () => {
    const cAdmin = await makeUser(v, ids.orgC, 'c-admin@village.example', { role: 'admin' });
    const { session } = await freshSession(cAdmin.id);
    // The operator (a member of org C) adds a user to org B.
    const added = await sessions.operator.request({
      method: 'POST',
      url: `/api/v1/orgs/${ids.orgB}/users`,
      payload: { email: 'private-person@b.example', displayName: 'Private' },
    });
    expect(added.statusCode).toBe(201);
    expect((await session.request({ method: 'GET', url: `/api/v1/orgs/${ids.orgB}/users` })).statusCode).toBe(404);
    const res = await session.request({ method: 'GET', url: `/api/v1/orgs/${ids.orgC}/audit?limit=500` });
    expect(res.statusCode).toBe(200);
    const entries = (res.json() as { entries: Array<{ subjectOrgId: string | null; action: string }> }).entries;
    const foreign = entries.filter((e) => e.subjectOrgId !== null && e.subjectOrgId !== ids.orgC);
    expect(foreign.map((e) => `${e.action} in ${e.subjectOrgId}`)).toEqual([]);
  });

  it('GET /orgs lists only the caller’s own organization for non-operators', async () => {
    for (const [role, org] of [
      ['aMember', ids.orgA],
      ['aAdmin', ids.orgA],
      ['bAdmin', ids.orgB],
    ] as const) {
      const res = await sessions[role].request({ method: 'GET', url: '/api/v1/orgs' });
      expect(
        (res.json() as Array<{ id: string }>).map((o) => o.id),
        role,
      ).toEqual([org]);
    }
    const res = await send(await callerFor('tokenAll', false), { method: 'GET', url: '/api/v1/orgs' });
    expect((res.json() as Array<{ id: string }>).map((o) => o.id)).toEqual([ids.orgA]);
  });
});

describe('granting rights', () => {
  let operatorToken: Caller;
  beforeAll(async () => {
    const { token } = await createToken(v.ctx, setupMeta, ids.user.operator, {
      name: 'operator, all scopes',
      scopes: [...TOKEN_SCOPES],
      expiresInDays: 1,
    });
    operatorToken = { role: 'operator', userId: ids.user.operator, token };
  });

  it('only an operator session grants operator: no org admin, and no token (not even an operator’s)', async () => {
    const attempts: Array<[string, Caller, number, number]> = [
      // who, caller, POST /orgs/A/users, PATCH /users/:id
      ['aAdmin', await callerFor('aAdmin', false), 403, 403],
      ['tokenAll', await callerFor('tokenAll', false), 403, 403],
      ['operator token', operatorToken, 403, 403],
      ['operator session', await callerFor('operator', false), 201, 200],
    ];
    for (const [who, caller, create, update] of attempts) {
      const email = `op-grant-${who.replace(/\W/g, '-')}@a.example`;
      const made = await send(caller, {
        method: 'POST',
        url: `/api/v1/orgs/${ids.orgA}/users`,
        payload: { email, displayName: 'Would-be operator', isOperator: true },
      });
      expect(made.statusCode, `${who}: ${made.body}`).toBe(create);
      const row = await v.db.selectFrom('users').select('is_operator').where('email', '=', email).executeTakeFirst();
      expect(row?.is_operator, who).toBe(create === 201 ? true : undefined);
      const patched = await send(caller, { method: 'PATCH', url: `/api/v1/users/${ids.aTarget}`, payload: { isOperator: true } });
      expect(patched.statusCode, `${who}: ${patched.body}`).toBe(update);
    }
    const target = await v.db.selectFrom('users').select('is_operator').where('id', '=', ids.aTarget).executeTakeFirstOrThrow();
    expect(target.is_operator).toBe(true);
    const back = await sessions.operator.request({
      method: 'PATCH',
      url: `/api/v1/users/${ids.aTarget}`,
      payload: { isOperator: false },
    });
    expect(back.statusCode).toBe(200);
  });

  it('a member cannot promote themselves, nor a token of their admin without users:write', async () => {
    const self = await sessions.aMember.request({
      method: 'PATCH',
      url: `/api/v1/users/${ids.user.aMember}`,
      payload: { orgRole: 'admin' },
    });
    expect(self.statusCode).toBe(403);
    const none = await send(await callerFor('tokenNone', false), {
      method: 'PATCH',
      url: `/api/v1/users/${ids.user.aMember}`,
      payload: { orgRole: 'admin' },
    });
    expect(none.statusCode).toBe(403);
    const row = await v.db.selectFrom('users').select('org_role').where('id', '=', ids.user.aMember).executeTakeFirstOrThrow();
    expect(row.org_role).toBe('member');
  });

  it('an operator’s token with instance:admin may do instance administration', async () => {
    const org = await send(operatorToken, {
      method: 'POST',
      url: '/api/v1/orgs',
      payload: { slug: 'made-by-operator-token', name: 'By token', kind: 'cert' },
    });
    expect(org.statusCode, org.body).toBe(201);
    const verify = await send(operatorToken, { method: 'POST', url: '/api/v1/audit/verify' });
    expect(verify.statusCode).toBe(200);
    expect(verify.json().ok).toBe(true);
  });
});

describe('CSRF', () => {
  const auditHead = async () =>
    (await v.db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow()).seq;
  const unsafeRoutes = () =>
    listRoutes(v.app).filter((r) => r.url.startsWith('/api/') && (UNSAFE_METHODS as readonly string[]).includes(r.method));

  it('refuses every cookie-authenticated write without the X-CSRF-Token header, and writes nothing', async () => {
    const before = await auditHead();
    const routes = unsafeRoutes();
    expect(routes.length).toBeGreaterThan(10);
    for (const r of routes) {
      for (const csrf of [undefined, 'wrong-token', sessions.aMember.csrf]) {
        const res = await v.app.inject({
          method: r.method as Method,
          url: fill(r.url, ids.orgA),
          headers: { cookie: sessions.aAdmin.cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
          payload: {},
        });
        expect(res.statusCode, `${r.method} ${r.url} (csrf ${csrf}): ${res.body}`).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().type).toBe('urn:village:problem:csrf');
      }
    }
    expect(await auditHead()).toBe(before);
    // The refused logout did not end the session.
    expect((await sessions.aAdmin.request({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
  });

  it('lets a bearer token write without any CSRF token', async () => {
    const res = await v.app.inject({
      method: 'PATCH',
      url: `/api/v1/orgs/${ids.orgA}`,
      headers: { authorization: `Bearer ${tokens.tokenAll}` },
      payload: { name: 'Org A, by token' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().name).toBe('Org A, by token');
  });

  it('does not let a cookie ride along on a token request: the token decides', async () => {
    const res = await v.app.inject({
      method: 'POST',
      url: '/api/v1/me/tokens',
      headers: {
        authorization: `Bearer ${tokens.tokenAll}`,
        cookie: sessions.aAdmin.cookie,
        'x-csrf-token': sessions.aAdmin.csrf,
      },
      payload: { name: 'via token', scopes: ['org:read'] },
    });
    expect(res.statusCode, res.body).toBe(403);
  });

  it('refuses an invalid, a revoked and a malformed bearer token with 401, never falling back to anonymous', async () => {
    const revoked = await createToken(v.ctx, setupMeta, ids.user.aAdmin, {
      name: 'revoked',
      scopes: ['org:read'],
      expiresInDays: 1,
    });
    await v.db.updateTable('api_tokens').set({ revoked_at: v.clock.now() }).where('id', '=', revoked.view.id).execute();
    for (const authorization of [
      `Bearer vlg_${randomBytes(32).toString('base64url')}`,
      `Bearer ${revoked.token}`,
      'Bearer',
      'Basic abc',
    ]) {
      for (const url of ['/api/v1/me', '/api/v1/auth/logout']) {
        const res = await v.app.inject({ method: url.endsWith('logout') ? 'POST' : 'GET', url, headers: { authorization } });
        expect(res.statusCode, `${authorization} ${url}`).toBe(401);
        expect(res.json().type).toBe('urn:village:problem:unauthenticated');
      }
    }
  });
});
