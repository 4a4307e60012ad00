// Demo data for a first start: a trust community, a coordinator, three vendors and a reporter.
// Passwords are random per instance, kept in <data dir>/demo-logins.txt (mode 0600) and
// printed at start, so a demo instance never ships with a guessable password.
import fs from 'node:fs';
import path from 'node:path';
import type { AppContext, RequestMeta } from '../context.ts';
import { randomToken } from '../crypto/secrets.ts';
import type { UserActor } from '../domain/policy.ts';
import { loadCaseRelation } from '../services/case-access.ts';
import { addParticipant, openCase } from '../services/cases.ts';
import { publishNda } from '../services/communities.ts';
import { actOnEmbargo } from '../services/embargo.ts';
import { createOrganization, createUser } from '../services/organizations.ts';
import { requestRelease } from '../services/release.ts';
import { submitReport, transitionReport } from '../services/reports.ts';
import { addVulnerability, putStatement } from '../services/vulnerabilities.ts';
import { appendAudit } from '../store/audit.ts';
import type { OrgKind, OrgRole } from '../store/schema.ts';

export interface DemoLogin {
  email: string;
  password: string;
  role: string;
}

const ORGS: Array<{ slug: string; name: string; kind: OrgKind }> = [
  { slug: 'village-cc', name: 'Village Coordination Center', kind: 'coordinator' },
  { slug: 'acme-networks', name: 'Acme Networks', kind: 'vendor' },
  { slug: 'globex-wireless', name: 'Globex Wireless', kind: 'vendor' },
  { slug: 'initech-systems', name: 'Initech Systems', kind: 'vendor' },
  { slug: 'independent-research', name: 'Independent Researchers', kind: 'researcher' },
];

const USERS: Array<{ org: string; email: string; name: string; role: OrgRole; operator?: boolean; label: string }> = [
  {
    org: 'village-cc',
    email: 'operator@village-cc.example',
    name: 'Olive Operator',
    role: 'admin',
    operator: true,
    label: 'operator',
  },
  { org: 'village-cc', email: 'coordinator@village-cc.example', name: 'Cora Coordinator', role: 'admin', label: 'coordinator' },
  { org: 'acme-networks', email: 'psirt@acme-networks.example', name: 'Ada (Acme PSIRT)', role: 'admin', label: 'vendor PSIRT' },
  {
    org: 'globex-wireless',
    email: 'psirt@globex-wireless.example',
    name: 'Gus (Globex PSIRT)',
    role: 'admin',
    label: 'vendor PSIRT',
  },
  {
    org: 'initech-systems',
    email: 'psirt@initech-systems.example',
    name: 'Ian (Initech PSIRT)',
    role: 'admin',
    label: 'vendor PSIRT',
  },
  {
    org: 'independent-research',
    email: 'researcher@independent-research.example',
    name: 'Rita Researcher',
    role: 'admin',
    label: 'reporter',
  },
];

const SEEDED_KEY = 'demo_seeded_at';
const SEED_CLAIM_KEY = 'demo_seed_claimed_by';

async function waitForSeed(ctx: AppContext, file: string): Promise<DemoLogin[]> {
  for (let i = 0; i < 300; i++) {
    const done = await ctx.db.selectFrom('instance_meta').select('value').where('key', '=', SEEDED_KEY).executeTakeFirst();
    if (done) return readLogins(file);
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
}

export function demoLoginsFile(ctx: AppContext): string {
  return path.join(ctx.config.dataDir, 'demo-logins.txt');
}

/** Seeds the demo once per database; returns the logins (from the file on later starts). */
export async function seedDemo(ctx: AppContext): Promise<DemoLogin[]> {
  const file = demoLoginsFile(ctx);
  const already = await ctx.db.selectFrom('instance_meta').select('value').where('key', '=', SEEDED_KEY).executeTakeFirst();
  if (already) return readLogins(file);
  const anyOrg = await ctx.db.selectFrom('organizations').select('id').limit(1).executeTakeFirst();
  if (anyOrg) return []; // a real instance: never mix demo data in
  // Several servers may start together on one database: one claims the seeding, the others wait.
  const claim = await ctx.db
    .insertInto('instance_meta')
    .values({ key: SEED_CLAIM_KEY, value: String(process.pid) })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!claim) return waitForSeed(ctx, file);

  const meta: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'demo-seed' };
  const orgIds = new Map<string, string>();
  for (const o of ORGS) orgIds.set(o.slug, (await createOrganization(ctx, meta, o)).id);
  const logins: DemoLogin[] = [];
  for (const u of USERS) {
    const password = `demo-${randomToken(12)}`;
    await createUser(ctx, meta, {
      orgId: orgIds.get(u.org) as string,
      email: u.email,
      displayName: u.name,
      orgRole: u.role,
      isOperator: u.operator ?? false,
      password,
    });
    logins.push({ email: u.email, password, role: u.label });
  }
  await ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const community = await trx
      .insertInto('communities')
      .values({
        slug: 'demo-trust-circle',
        name: 'Demo Trust Circle',
        charter: 'Members coordinate multi-vendor disclosures under a light-weight NDA and agreed embargoes.',
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const o of ORGS) {
      await trx
        .insertInto('community_members')
        .values({
          community_id: community.id,
          org_id: orgIds.get(o.slug) as string,
          state: 'admitted',
          tier: o.kind === 'coordinator' ? 'core' : 'partner',
          functions: o.kind === 'vendor' ? ['fix-provider'] : [],
          since: now,
          updated_at: now,
        })
        .execute();
    }
    const coordinator = await trx
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'coordinator@village-cc.example')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('community_stewards')
      .values({ community_id: community.id, user_id: coordinator.id, added_at: now })
      .execute();
    await trx.insertInto('instance_meta').values({ key: SEEDED_KEY, value: now.toISOString() }).execute();
    await appendAudit(trx, {
      at: now,
      action: 'demo.seed',
      objectType: 'community',
      objectId: community.id,
      requestId: meta.requestId,
      details: { organizations: ORGS.length, users: USERS.length },
    });
  });
  await seedDemoNda(ctx);
  await seedDemoCase(ctx, orgIds);
  await seedReleasedCase(ctx, orgIds);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${logins.map((l) => `${l.role}\t${l.email}\t${l.password}`).join('\n')}\n`, { mode: 0o600 });
  return logins;
}

function readLogins(file: string): DemoLogin[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [role = '', email = '', password = ''] = line.split('\t');
        return { role, email, password };
      });
  } catch {
    return [];
  }
}

/** The community's NDA, version 1, accepted by every demo user (so the demo reads at once). */
async function seedDemoNda(ctx: AppContext): Promise<void> {
  const community = await ctx.db
    .selectFrom('communities')
    .select('id')
    .where('slug', '=', 'demo-trust-circle')
    .executeTakeFirstOrThrow();
  const meta: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'demo-seed' };
  const nda = await publishNda(ctx, meta, community.id, DEMO_NDA);
  const users = await ctx.db.selectFrom('users').select('id').execute();
  await ctx.db
    .insertInto('nda_acceptances')
    .values(
      users.map((u) => ({
        community_id: community.id,
        version: nda.version,
        user_id: u.id,
        hash: nda.hash,
        accepted_at: ctx.clock.now(),
      })),
    )
    .execute();
}

const DEMO_NDA = `Demo Trust Circle — participation agreement (version 1)

1. Information shared in a case stays within the recipients its TLP label allows, until the agreed release.
2. A member who learns of a leak or of active exploitation tells the case coordinator at once.
3. Breaches are reviewed by the stewards; a member may be suspended or ejected, with reasons recorded.
`;

/** A case in progress, so a new user sees the core loop at once: a report, a case, three vendors, an embargo. */
async function seedDemoCase(ctx: AppContext, orgIds: Map<string, string>): Promise<void> {
  const coordinator = await demoActor(ctx, 'coordinator@village-cc.example');
  const researcher = await demoActor(ctx, 'researcher@independent-research.example');
  const report = await submitReport(
    ctx,
    { ...researcher.meta, ip: 'demo' },
    {
      title: 'Heap overflow in the shared TLS record parser used by several router firmwares',
      description:
        'A crafted TLS record with an oversized length field overflows a heap buffer in the record parser that ' +
        'Acme, Globex and Initech firmwares all embed. Remote, unauthenticated, before the handshake completes.',
      vendorName: 'Acme Networks, Globex Wireless, Initech Systems',
      productName: 'tlslite-embedded',
      purl: 'pkg:generic/tlslite-embedded@3.2.1',
      reporterName: 'Rita Researcher',
      reporterEmail: 'researcher@independent-research.example',
      creditConsent: true,
    },
    [],
  );
  await transitionReport(ctx, coordinator.meta, report.id, 'validate', 'reproduced on three firmwares');
  const c = await openCase(ctx, coordinator.meta, coordinator.actor, {
    title: 'Heap overflow in tlslite-embedded record parser',
    summary: 'One parser, three vendors: coordinate fixes and a single release date.',
    reportIds: [report.id],
    communityId: (
      await ctx.db.selectFrom('communities').select('id').where('slug', '=', 'demo-trust-circle').executeTakeFirstOrThrow()
    ).id,
  });
  for (const slug of ['acme-networks', 'globex-wireless', 'initech-systems']) {
    await addParticipant(ctx, coordinator.meta, c.id, { orgId: orgIds.get(slug) as string, role: 'vendor' });
  }
  const rel = await loadCaseRelation(
    ctx.db,
    c.id,
    { orgId: coordinator.actor.orgId, userId: coordinator.actor.userId },
    ctx.clock.now(),
  );
  if (!rel) return;
  await addVulnerability(ctx, coordinator.meta, rel, {
    title: 'Heap buffer overflow in TLS record length handling',
    cweIds: ['CWE-122'],
    cvss31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    products: [
      { productName: 'tlslite-embedded', purl: 'pkg:generic/tlslite-embedded', versionRange: 'vers:generic/>=3.0.0|<3.2.2' },
    ],
  });
  const proposed = await actOnEmbargo(ctx, coordinator.meta, coordinator.actor, rel, { type: 'propose' });
  if (proposed.pending) {
    await actOnEmbargo(ctx, coordinator.meta, coordinator.actor, rel, { type: 'accept', proposalId: proposed.pending.id });
  }
}

async function demoActor(ctx: AppContext, email: string) {
  const u = await ctx.db
    .selectFrom('users as u')
    .innerJoin('organizations as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.org_id', 'u.org_role', 'u.is_operator', 'o.kind'])
    .where('u.email', '=', email)
    .executeTakeFirstOrThrow();
  const actor: UserActor = {
    type: 'user',
    userId: u.id,
    orgId: u.org_id,
    orgRole: u.org_role,
    orgKind: u.kind,
    isOperator: u.is_operator,
    via: 'session',
    scopes: null,
  };
  return { actor, meta: { actor, requestId: 'demo-seed' } as RequestMeta };
}

/** A case already released, so a new user sees a landing page and published documents at once. */
async function seedReleasedCase(ctx: AppContext, orgIds: Map<string, string>): Promise<void> {
  const coordinator = await demoActor(ctx, 'coordinator@village-cc.example');
  const researcher = await demoActor(ctx, 'researcher@independent-research.example');
  const report = await submitReport(
    ctx,
    { ...researcher.meta, ip: 'demo' },
    {
      title: 'Path traversal in the widget-uploader package',
      description: 'An upload named ../../x escapes the upload directory in widget-uploader before 2.4.1.',
      vendorName: 'Acme Networks',
      productName: 'widget-uploader',
      purl: 'pkg:npm/widget-uploader@2.4.0',
      reporterName: 'Rita Researcher',
      reporterEmail: 'researcher@independent-research.example',
      creditConsent: true,
      creditName: 'Rita Researcher',
    },
    [],
  );
  await transitionReport(ctx, coordinator.meta, report.id, 'validate', 'reproduced');
  const c = await openCase(ctx, coordinator.meta, coordinator.actor, {
    title: 'Path traversal in widget-uploader',
    summary:
      'widget-uploader joins the client-supplied file name to the upload directory without normalising it: ' +
      'an upload can write anywhere the server process may. Update to 2.4.1 or later.',
    reportIds: [report.id],
  });
  const acme = orgIds.get('acme-networks') as string;
  const globex = orgIds.get('globex-wireless') as string;
  for (const orgId of [acme, globex]) await addParticipant(ctx, coordinator.meta, c.id, { orgId, role: 'vendor' });
  const rel = await loadCaseRelation(
    ctx.db,
    c.id,
    { orgId: coordinator.actor.orgId, userId: coordinator.actor.userId },
    ctx.clock.now(),
  );
  if (!rel) return;
  const vulnId = await addVulnerability(ctx, coordinator.meta, rel, {
    cveId: 'CVE-2026-10001',
    title: 'Path traversal in widget-uploader upload handling',
    description: 'A file name containing ../ segments is joined to the upload directory unchecked.',
    cweIds: ['CWE-22'],
    cvss31: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N',
    cvss40: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N',
    products: [
      {
        vendorOrgId: acme,
        productName: 'widget-uploader',
        purl: 'pkg:npm/widget-uploader',
        versionRange: 'vers:npm/>=2.0.0|<2.4.1',
      },
      { vendorOrgId: globex, productName: 'Globex Cloud Gateway', versionRange: 'vers:generic/*' },
    ],
  });
  await putStatement(ctx, coordinator.meta, coordinator.actor, rel, vulnId, acme, {
    status: 'fixed',
    fixedVersions: ['2.4.1'],
    advisoryUrl: 'https://acme-networks.example/psirt/ANSA-2026-004',
  });
  await putStatement(ctx, coordinator.meta, coordinator.actor, rel, vulnId, globex, {
    status: 'not_affected',
    justification: 'vulnerable_code_not_in_execute_path',
    publicStatement: 'Globex Cloud Gateway bundles widget-uploader but never calls its upload handler.',
  });
  // Released by the durable job, right after start: seeding (and so the first start) does not wait
  // for the documents to be built, validated and signed; the landing page is up seconds later.
  await requestRelease(ctx, coordinator.meta, ctx.db, c.id, { kind: 'demo' });
}
