// The release: one action runs a durable, resumable sequence of steps per case — freeze (the
// embargo ends, the release date is now, every tent opens, the case's facts are frozen), build (a
// snapshot of the case and the CSAF, CVE and OSV documents from it), validate (each against its
// schema; CSAF also against the mandatory tests: an invalid document stops the release and says
// why), sign (a detached OpenPGP signature, SHA-256 and SHA-512 of each document), publish (the
// advisory and its documents served at the public URLs) and notify (every participant and
// reporter told once). Each step commits together with its record in release_steps, so a rerun
// skips what is done; effects that leave the database (mail, webhooks) are queued in the step's
// transaction under idempotency keys. Later statements produce new revisions the same way
// (build → notify), through the release.revise job.

import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { uuidFromSha256 } from '../crypto/secrets.ts';
import { buildCsaf } from '../formats/csaf.ts';
import { buildCveRecords } from '../formats/cve-record.ts';
import { describeProblems, validateCsaf, validateCveRecord, validateOsv } from '../formats/document-validation.ts';
import { buildOsvRecords } from '../formats/osv.ts';
import { advisoryIdOf, csafPath, type ReleaseSnapshot, type SnapshotRevision } from '../formats/release-snapshot.ts';
import { queueMail } from '../mail/outbox.ts';
import type { DB } from '../store/schema.ts';
import type { ReleaseStep } from '../store/schema-release.ts';
import { caseText } from './case-views.ts';
import { auditCase } from './cases.ts';
import { caseBox } from './data-keys.ts';
import { endEmbargoAtRelease } from './embargo.ts';
import { notifyCase } from './notify.ts';
import { isReleased } from './release-state.ts';
import { openTentTx } from './tents.ts';
import { addTimeline } from './timeline.ts';
import { openStatementText, openVulnerabilityText } from './vulnerabilities.ts';
import { emitWebhookEvent } from './webhooks.ts';

export const RELEASE_JOB = 'release.run';
export const REVISE_JOB = 'release.revise';
export const VILLAGE_VERSION = '0.1.0';

export const RELEASE_STEPS: readonly ReleaseStep[] = ['freeze', 'build', 'validate', 'sign', 'publish', 'notify'];
const REVISION_STEPS: readonly ReleaseStep[] = ['build', 'validate', 'sign', 'publish', 'notify'];

export type ReleaseTrigger =
  | { kind: 'cord'; cordId: string; signalId: string }
  | { kind: 'coordinator'; userId: string }
  | { kind: 'cli' }
  | { kind: 'demo' };

export interface ReleaseJobData {
  caseId: string;
  trigger: ReleaseTrigger;
}

/** Tests only: make the runner stop (as a crash would) right after a step commits. */
export const releaseTestHooks: { crashAfter: ReleaseStep | null } = { crashAfter: null };

export class ReleaseCrash extends Error {}

/** Thrown by the validate step: the release stops, and the run records why. */
export class InvalidDocument extends Error {}

// Subscribers hear of a publication inside the publish step's transaction: instance-wide
// subscriptions, and those of the coordinator and every participant organization. The event id
// is derived from the case and revision, so a rerun of the step enqueues nothing new.
async function emitAdvisoryWebhook(
  ctx: AppContext,
  trx: Kysely<DB>,
  event: 'advisory.published' | 'advisory.updated',
  payload: { caseId: string; revision: number } & Record<string, unknown>,
): Promise<void> {
  const orgs = await trx
    .selectFrom('case_participants')
    .select('org_id')
    .where('case_id', '=', payload.caseId)
    .where('removed_at', 'is', null)
    .union(trx.selectFrom('cases').select('coordinator_org_id as org_id').where('id', '=', payload.caseId))
    .execute();
  const eventId = uuidFromSha256(`village-advisory-event\0${payload.caseId}\0${payload.revision}`, 5);
  await emitWebhookEvent(ctx, trx, event, payload, { orgIds: orgs.map((o) => o.org_id), eventId });
}

// ——————————————————————————————————— snapshot ———————————————————————————————————

/** The case's public facts as they are now, for revision `revisions.at(-1)`. */
export async function loadSnapshot(
  ctx: AppContext,
  db: Kysely<DB>,
  caseId: string,
  release: { initialReleaseDate: string; revisions: SnapshotRevision[] },
): Promise<ReleaseSnapshot> {
  const c = await db
    .selectFrom('cases as c')
    .innerJoin('organizations as o', 'o.id', 'c.coordinator_org_id')
    .select(['c.ref', 'o.name as coordinator'])
    .where('c.id', '=', caseId)
    .executeTakeFirstOrThrow();
  // The case's free text is sealed at rest (docs/encryption-at-rest.md): opened with its data key.
  const text = await caseText(ctx, db, caseId);
  const box = await caseBox(ctx, db, caseId);
  // A stable order (documents are rebuilt and compared): by creation time, then by content.
  const vulns = await db
    .selectFrom('vulnerabilities')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .orderBy('cve_id')
    .orderBy('id')
    .execute();
  const ids = vulns.map((v) => v.id);
  const products = ids.length
    ? await db
        .selectFrom('affected_products')
        .selectAll()
        .where('vulnerability_id', 'in', ids)
        .orderBy('created_at')
        .orderBy('product_name')
        .orderBy('purl')
        .orderBy('version_range')
        .orderBy('id')
        .execute()
    : [];
  const statements = await db
    .selectFrom('statements')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('org_id')
    .orderBy('vulnerability_id')
    .execute();
  const orgIds = [
    ...new Set([
      ...products.map((p) => p.vendor_org_id).filter((x): x is string => !!x),
      ...statements.map((s) => s.org_id),
      ...(
        await db
          .selectFrom('case_participants')
          .select('org_id')
          .where('case_id', '=', caseId)
          .where('role', '=', 'vendor')
          .where('removed_at', 'is', null)
          .execute()
      ).map((p) => p.org_id),
    ]),
  ];
  const orgs = orgIds.length
    ? await db
        .selectFrom('organizations')
        .select(['id', 'name'])
        .where('id', 'in', orgIds)
        .orderBy('name')
        .orderBy('id')
        .execute()
    : [];
  const credits = await db
    .selectFrom('reports')
    .select(['credit_name', 'reporter_name'])
    .where('case_id', '=', caseId)
    .where('credit_consent', '=', true)
    .orderBy('created_at')
    .execute();
  const last = release.revisions.at(-1);
  return {
    advisoryId: advisoryIdOf(c.ref),
    title: text.title,
    summary: text.summary,
    publisher: { name: c.coordinator, namespace: ctx.config.publicUrl },
    baseUrl: ctx.config.publicUrl,
    initialReleaseDate: release.initialReleaseDate,
    currentReleaseDate: last?.date ?? release.initialReleaseDate,
    revisions: release.revisions,
    vendors: orgs.map((o) => ({ orgId: o.id, name: o.name })),
    vulnerabilities: vulns.map((v) => ({
      key: v.id,
      cveId: v.cve_id,
      ...openVulnerabilityText(box, v),
      cweIds: v.cwe_ids,
      cvss31: v.cvss31_vector ? { vector: v.cvss31_vector, baseScore: Number(v.cvss31_score) } : null,
      cvss40: v.cvss40_vector ? { vector: v.cvss40_vector, baseScore: Number(v.cvss40_score) } : null,
      ssvc: v.ssvc ?? null,
      products: products
        .filter((p) => p.vulnerability_id === v.id)
        .map((p) => ({
          key: p.id,
          vendorOrgId: p.vendor_org_id,
          productName: p.product_name,
          purl: p.purl,
          versionRange: p.version_range,
        })),
    })),
    statements: statements.map((s) => {
      const t = openStatementText(box, s);
      return {
        vulnerabilityKey: s.vulnerability_id,
        orgId: s.org_id,
        status: s.status,
        justification: t.justification,
        fixedVersions: s.fixed_versions,
        remediation: t.remediation,
        publicStatement: t.publicStatement,
        advisoryUrl: s.advisory_url,
      };
    }),
    credits: [...new Set(credits.map((r) => (r.credit_name ?? r.reporter_name ?? '').trim()).filter((n) => n.length > 0))],
    generator: { name: 'Village', version: VILLAGE_VERSION },
  };
}

export interface BuiltDocument {
  kind: 'csaf' | 'cve' | 'osv';
  docId: string;
  content: string;
}

/** Every document of a snapshot, serialized (the bytes that are hashed, signed and served). */
export function buildDocuments(s: ReleaseSnapshot): BuiltDocument[] {
  const docs: BuiltDocument[] = [{ kind: 'csaf', docId: s.advisoryId, content: `${JSON.stringify(buildCsaf(s), null, 2)}\n` }];
  for (const r of buildCveRecords(s))
    docs.push({ kind: 'cve', docId: r.cveId, content: `${JSON.stringify(r.record, null, 2)}\n` });
  for (const r of buildOsvRecords(s)) docs.push({ kind: 'osv', docId: r.id, content: `${JSON.stringify(r.record, null, 2)}\n` });
  return docs;
}

export async function validateDocuments(docs: BuiltDocument[]): Promise<string | null> {
  for (const d of docs) {
    const json = JSON.parse(d.content) as unknown;
    const r = await (d.kind === 'csaf' ? validateCsaf(json) : d.kind === 'cve' ? validateCveRecord(json) : validateOsv(json));
    if (!r.valid) return describeProblems(`${d.kind.toUpperCase()} document ${d.docId}`, r);
  }
  return null;
}

/** The facts a revision is about, without its dates: unchanged facts need no new revision. */
function publicFacts(s: ReleaseSnapshot): string {
  const { revisions: _r, currentReleaseDate: _c, ...facts } = s;
  return JSON.stringify(facts);
}

// ——————————————————————————————————— requests ———————————————————————————————————

export interface ReleaseStatusView {
  caseId: string;
  advisoryId: string;
  status: 'not_started' | 'running' | 'failed' | 'done';
  error: string | null;
  releasedAt: Date | null;
  revision: number | null;
  steps: Array<{ revision: number; step: ReleaseStep; status: 'done' | 'failed'; error: string | null; at: Date }>;
  landingPage: string | null;
}

export async function releaseStatus(ctx: AppContext, caseId: string): Promise<ReleaseStatusView> {
  const c = await ctx.db.selectFrom('cases').select('ref').where('id', '=', caseId).executeTakeFirstOrThrow();
  const run = await ctx.db.selectFrom('release_runs').selectAll().where('case_id', '=', caseId).executeTakeFirst();
  const steps = await ctx.db
    .selectFrom('release_steps')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('revision')
    .orderBy('at')
    .execute();
  const adv = await ctx.db
    .selectFrom('advisories')
    .select(['revision', 'advisory_id'])
    .where('case_id', '=', caseId)
    .executeTakeFirst();
  const advisoryId = run?.advisory_id ?? advisoryIdOf(c.ref);
  return {
    caseId,
    advisoryId,
    status: run?.status ?? 'not_started',
    error: run?.error ?? null,
    releasedAt: run?.released_at ?? null,
    revision: adv?.revision ?? null,
    steps: steps.map((s) => ({ revision: s.revision, step: s.step, status: s.status, error: s.error, at: s.at })),
    landingPage: adv ? `${ctx.config.publicUrl}/advisories/${encodeURIComponent(adv.advisory_id)}` : null,
  };
}

/**
 * Starts (or, after a failure, restarts) the release of a case: records the run and enqueues the
 * release.run job in one transaction. A running or finished release is not started again.
 */
export async function requestRelease(
  ctx: AppContext,
  meta: RequestMeta,
  db: Kysely<DB>,
  caseId: string,
  trigger: ReleaseTrigger,
): Promise<{ started: boolean }> {
  const now = ctx.clock.now();
  return db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('cases').select(['ref']).where('id', '=', caseId).forUpdate().executeTakeFirstOrThrow();
    const run = await trx.selectFrom('release_runs').selectAll().where('case_id', '=', caseId).executeTakeFirst();
    if (run && run.status !== 'failed') return { started: false };
    const userId = trigger.kind === 'coordinator' ? trigger.userId : null;
    if (run) {
      await trx
        .updateTable('release_runs')
        .set({ status: 'running', error: null, attempts: run.attempts + 1, updated_at: now, trigger: JSON.stringify(trigger) })
        .where('case_id', '=', caseId)
        .execute();
      await trx.deleteFrom('release_steps').where('case_id', '=', caseId).where('status', '=', 'failed').execute();
    } else {
      await trx
        .insertInto('release_runs')
        .values({
          case_id: caseId,
          advisory_id: advisoryIdOf(c.ref),
          trigger: JSON.stringify(trigger),
          requested_by: userId,
          status: 'running',
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    const key = run ? `release:${caseId}:${run.attempts + 1}` : `release:${caseId}`;
    await ctx.jobs.enqueue<ReleaseJobData>(trx, RELEASE_JOB, { caseId, trigger }, { key, retryLimit: 3 });
    await auditCase(ctx, trx, meta, 'case.release', caseId, { trigger: trigger.kind, attempt: (run?.attempts ?? 0) + 1 });
    return { started: true };
  });
}

/** What the release would publish now: the documents and their validity; nothing is stored. */
export async function previewRelease(ctx: AppContext, caseId: string) {
  const now = ctx.clock.now().toISOString();
  const s = await loadSnapshot(ctx, ctx.db, caseId, {
    initialReleaseDate: now,
    revisions: [{ number: '1', date: now, summary: 'Initial release' }],
  });
  const docs = buildDocuments(s);
  return { snapshot: s, documents: docs, problem: await validateDocuments(docs) };
}

// ——————————————————————————————————— the runner ———————————————————————————————————

async function stepDone(trx: Kysely<DB>, caseId: string, revision: number, step: ReleaseStep, now: Date) {
  await trx
    .insertInto('release_steps')
    .values({ case_id: caseId, revision, step, status: 'done', error: null, at: now })
    .onConflict((oc) => oc.columns(['case_id', 'revision', 'step']).doUpdateSet({ status: 'done', error: null, at: now }))
    .execute();
}

async function doneSteps(db: Kysely<DB>, caseId: string, revision: number): Promise<Set<ReleaseStep>> {
  const rows = await db
    .selectFrom('release_steps')
    .select('step')
    .where('case_id', '=', caseId)
    .where('revision', '=', revision)
    .where('status', '=', 'done')
    .execute();
  return new Set(rows.map((r) => r.step));
}

const SYSTEM: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'release' };

async function freeze(ctx: AppContext, trx: Kysely<DB>, caseId: string, now: Date): Promise<void> {
  await trx.selectFrom('cases').select('id').where('id', '=', caseId).forUpdate().executeTakeFirstOrThrow();
  await endEmbargoAtRelease(trx, caseId, now);
  await trx
    .updateTable('cases')
    .set((eb) => ({ public_aware_at: eb.fn.coalesce('public_aware_at', eb.val(now)) }))
    .where('id', '=', caseId)
    .execute();
  const closed = await trx
    .selectFrom('case_tents')
    .select('tent_id')
    .where('case_id', '=', caseId)
    .where('opened_at', 'is', null)
    .execute();
  for (const t of closed) await openTentTx(ctx, trx, caseId, t.tent_id, now, null);
  await trx.updateTable('release_runs').set({ released_at: now, updated_at: now }).where('case_id', '=', caseId).execute();
  await addTimeline(trx, null, {
    caseId,
    at: now,
    kind: 'release.frozen',
    summary: 'Release started: the embargo has ended, every tent is open and the case is frozen',
  });
}

async function build(ctx: AppContext, trx: Kysely<DB>, caseId: string, revision: number, now: Date): Promise<void> {
  const rev = await trx
    .selectFrom('advisory_revisions')
    .selectAll()
    .where('case_id', '=', caseId)
    .where('revision', '=', revision)
    .executeTakeFirstOrThrow();
  const run = await trx.selectFrom('release_runs').select('released_at').where('case_id', '=', caseId).executeTakeFirstOrThrow();
  const history = await trx
    .selectFrom('advisory_revisions')
    .select(['revision', 'date', 'summary'])
    .where('case_id', '=', caseId)
    .where('revision', '<=', revision)
    .orderBy('revision')
    .execute();
  const snapshot = await loadSnapshot(ctx, trx, caseId, {
    initialReleaseDate: (run.released_at ?? rev.date).toISOString(),
    revisions: history.map((h) => ({ number: String(h.revision), date: h.date.toISOString(), summary: h.summary })),
  });
  await trx
    .updateTable('advisory_revisions')
    .set({ snapshot: JSON.stringify(snapshot) })
    .where('case_id', '=', caseId)
    .where('revision', '=', revision)
    .execute();
  await trx.deleteFrom('advisory_documents').where('case_id', '=', caseId).where('revision', '=', revision).execute();
  for (const d of buildDocuments(snapshot)) {
    await trx
      .insertInto('advisory_documents')
      .values({
        case_id: caseId,
        revision,
        kind: d.kind,
        doc_id: d.docId,
        content: d.content,
        sha256: createHash('sha256').update(d.content).digest('hex'),
        sha512: createHash('sha512').update(d.content).digest('hex'),
        signature: null,
        created_at: now,
      })
      .execute();
  }
}

async function loadDocs(trx: Kysely<DB>, caseId: string, revision: number) {
  return trx
    .selectFrom('advisory_documents')
    .selectAll()
    .where('case_id', '=', caseId)
    .where('revision', '=', revision)
    .orderBy('kind')
    .orderBy('doc_id')
    .execute();
}

async function sign(ctx: AppContext, trx: Kysely<DB>, caseId: string, revision: number): Promise<void> {
  for (const d of await loadDocs(trx, caseId, revision)) {
    if (d.signature) continue;
    const signature = await ctx.keys.signing.sign(d.content);
    await trx
      .updateTable('advisory_documents')
      .set({ signature })
      .where('case_id', '=', caseId)
      .where('revision', '=', revision)
      .where('kind', '=', d.kind)
      .where('doc_id', '=', d.doc_id)
      .execute();
  }
}

async function publish(ctx: AppContext, trx: Kysely<DB>, caseId: string, revision: number, now: Date): Promise<void> {
  const rev = await trx
    .selectFrom('advisory_revisions')
    .selectAll()
    .where('case_id', '=', caseId)
    .where('revision', '=', revision)
    .executeTakeFirstOrThrow();
  const s = rev.snapshot as ReleaseSnapshot;
  await trx
    .updateTable('advisory_revisions')
    .set({ status: 'published', published_at: now })
    .where('case_id', '=', caseId)
    .where('revision', '=', revision)
    .execute();
  const row = {
    advisory_id: s.advisoryId,
    title: s.title,
    revision,
    csaf_path: csafPath(s),
    initial_release_at: s.initialReleaseDate,
    current_release_at: s.currentReleaseDate,
  };
  await trx
    .insertInto('advisories')
    .values({ case_id: caseId, ...row })
    .onConflict((oc) => oc.column('case_id').doUpdateSet(row))
    .execute();
  const docs = await loadDocs(trx, caseId, revision);
  await emitAdvisoryWebhook(ctx, trx, revision === 1 ? 'advisory.published' : 'advisory.updated', {
    caseId,
    advisoryId: s.advisoryId,
    revision,
    url: `${ctx.config.publicUrl}/advisories/${encodeURIComponent(s.advisoryId)}`,
    documents: docs.map((d) => ({ kind: d.kind, id: d.doc_id, sha256: d.sha256 })),
  });
  await addTimeline(trx, null, {
    caseId,
    at: now,
    kind: revision === 1 ? 'release.published' : 'release.revised',
    summary:
      revision === 1
        ? `Advisory ${s.advisoryId} published (${docs.length} documents)`
        : `Advisory ${s.advisoryId} revision ${revision} published: ${rev.summary}`,
    data: { advisoryId: s.advisoryId, revision },
  });
  await auditCase(ctx, trx, SYSTEM, revision === 1 ? 'case.release_published' : 'case.release_revised', caseId, {
    advisoryId: s.advisoryId,
    revision,
  });
}

async function notify(ctx: AppContext, trx: Kysely<DB>, caseId: string, revision: number): Promise<void> {
  const adv = await trx.selectFrom('advisories').select('advisory_id').where('case_id', '=', caseId).executeTakeFirstOrThrow();
  const url = `${ctx.config.publicUrl}/advisories/${encodeURIComponent(adv.advisory_id)}`;
  await notifyCase(ctx, trx, {
    caseId,
    what:
      revision === 1
        ? `the case has been released; the public advisory is at ${url}`
        : `the public advisory was revised (revision ${revision}): ${url}`,
    key: `release:${caseId}:${revision}`,
  });
  const reporters = await trx
    .selectFrom('reports')
    .select(['id', 'reporter_email', 'ref'])
    .where('case_id', '=', caseId)
    .execute();
  for (const r of reporters) {
    await queueMail(ctx, trx, {
      key: `release-reporter:${r.id}:${revision}`,
      to: r.reporter_email,
      subject: `[Village] ${r.ref}: ${revision === 1 ? 'the advisory is published' : 'the advisory was revised'}`,
      text: `The vulnerability you reported (${r.ref}) is now public.\n\nThe advisory: ${url}\n`,
      kind: 'release.reporter',
      tlp: 'CLEAR', // the advisory is public: encrypted when the reporter gave a key, else signed
      reportId: r.id,
    });
  }
}

async function runSteps(ctx: AppContext, caseId: string, revision: number, steps: readonly ReleaseStep[]): Promise<void> {
  const done = await doneSteps(ctx.db, caseId, revision);
  for (const step of steps) {
    if (done.has(step)) continue;
    if (step === 'validate') {
      // Validation reads only: it records its verdict, and a failure stops the release.
      const docs = await loadDocs(ctx.db, caseId, revision);
      const problem = await validateDocuments(docs.map((d) => ({ kind: d.kind, docId: d.doc_id, content: d.content })));
      if (problem) throw new InvalidDocument(problem);
    }
    const now = ctx.clock.now();
    const started = performance.now();
    await ctx.db.transaction().execute(async (trx) => {
      if (step === 'freeze') await freeze(ctx, trx, caseId, now);
      else if (step === 'build') await build(ctx, trx, caseId, revision, now);
      else if (step === 'sign') await sign(ctx, trx, caseId, revision);
      else if (step === 'publish') await publish(ctx, trx, caseId, revision, now);
      else if (step === 'notify') await notify(ctx, trx, caseId, revision);
      await stepDone(trx, caseId, revision, step, now);
    });
    ctx.log.info({ caseId, revision, step, ms: Math.round(performance.now() - started) }, 'release step done');
    if (releaseTestHooks.crashAfter === step) throw new ReleaseCrash(`test crash after ${step}`);
  }
}

async function fail(ctx: AppContext, caseId: string, revision: number, step: ReleaseStep, error: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    // The documents are rebuilt on the next attempt (the case may have been corrected meanwhile).
    await trx
      .deleteFrom('release_steps')
      .where('case_id', '=', caseId)
      .where('revision', '=', revision)
      .where('step', '=', 'build')
      .execute();
    await trx
      .insertInto('release_steps')
      .values({ case_id: caseId, revision, step, status: 'failed', error, at: now })
      .onConflict((oc) => oc.columns(['case_id', 'revision', 'step']).doUpdateSet({ status: 'failed', error, at: now }))
      .execute();
    if (revision === 1) {
      await trx
        .updateTable('release_runs')
        .set({ status: 'failed', error, updated_at: now })
        .where('case_id', '=', caseId)
        .execute();
    }
    await addTimeline(trx, null, {
      caseId,
      at: now,
      kind: 'release.failed',
      summary: `The release stopped: ${error.slice(0, 500)}`,
      audience: 'coordinator',
    });
  });
}

/**
 * Runs (or resumes) the release of a case. Creates the run when a cord's job arrives first.
 * Returns the outcome; a crash (or a test's simulated one) propagates so the job is retried.
 */
export async function runRelease(ctx: AppContext, caseId: string, trigger: ReleaseTrigger = { kind: 'cli' }) {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('cases').select('ref').where('id', '=', caseId).executeTakeFirst();
    if (!c) throw new Error(`release: no case ${caseId}`);
    await trx
      .insertInto('release_runs')
      .values({
        case_id: caseId,
        advisory_id: advisoryIdOf(c.ref),
        trigger: JSON.stringify(trigger),
        requested_by: null,
        status: 'running',
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('case_id').doNothing())
      .execute();
    await trx
      .insertInto('advisory_revisions')
      .values({
        case_id: caseId,
        revision: 1,
        advisory_id: advisoryIdOf(c.ref),
        summary: 'Initial release',
        date: now,
        snapshot: null,
        status: 'building',
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['case_id', 'revision']).doNothing())
      .execute();
  });
  const run = await ctx.db.selectFrom('release_runs').select(['status']).where('case_id', '=', caseId).executeTakeFirstOrThrow();
  if (run.status === 'done') return { status: 'done' as const };
  if (run.status === 'failed') return { status: 'failed' as const };
  // The freeze decides the release date: the revision's date follows it.
  try {
    await runSteps(ctx, caseId, 1, ['freeze']);
    const rel = await ctx.db
      .selectFrom('release_runs')
      .select('released_at')
      .where('case_id', '=', caseId)
      .executeTakeFirstOrThrow();
    if (rel.released_at) {
      await ctx.db
        .updateTable('advisory_revisions')
        .set({ date: rel.released_at })
        .where('case_id', '=', caseId)
        .where('revision', '=', 1)
        .where('status', '=', 'building')
        .execute();
    }
    await runSteps(ctx, caseId, 1, RELEASE_STEPS);
  } catch (e) {
    if (e instanceof InvalidDocument) {
      await fail(ctx, caseId, 1, 'validate', e.message);
      return { status: 'failed' as const, error: e.message };
    }
    throw e;
  }
  await ctx.db
    .updateTable('release_runs')
    .set({ status: 'done', finished_at: ctx.clock.now(), updated_at: ctx.clock.now() })
    .where('case_id', '=', caseId)
    .where('status', '=', 'running')
    .execute();
  return { status: 'done' as const };
}

/**
 * Publishes a new revision when the case's public facts changed since the last one (a statement
 * made or changed after release). Resumes an unfinished revision first. Idempotent.
 */
export async function reviseRelease(ctx: AppContext, caseId: string): Promise<{ revision: number | null }> {
  const run = await ctx.db.selectFrom('release_runs').select(['status']).where('case_id', '=', caseId).executeTakeFirst();
  // A statement changed while the release itself is still running: try again once it is done.
  if (run?.status === 'running') throw new Error(`release of case ${caseId} still running; the revision waits for it`);
  if (run?.status !== 'done') return { revision: null };
  let pending = await ctx.db
    .selectFrom('advisory_revisions')
    .select('revision')
    .where('case_id', '=', caseId)
    .where('status', '=', 'building')
    .orderBy('revision')
    .executeTakeFirst();
  if (!pending) {
    const now = ctx.clock.now();
    const created = await ctx.db.transaction().execute(async (trx) => {
      await trx.selectFrom('cases').select('id').where('id', '=', caseId).forUpdate().executeTakeFirstOrThrow();
      const last = await trx
        .selectFrom('advisory_revisions')
        .selectAll()
        .where('case_id', '=', caseId)
        .orderBy('revision', 'desc')
        .executeTakeFirstOrThrow();
      if (last.status !== 'published') return last.revision;
      const prev = last.snapshot as ReleaseSnapshot;
      const next = await loadSnapshot(ctx, trx, caseId, {
        initialReleaseDate: prev.initialReleaseDate,
        revisions: prev.revisions,
      });
      if (publicFacts(next) === publicFacts(prev)) return null;
      const revision = last.revision + 1;
      await trx
        .insertInto('advisory_revisions')
        .values({
          case_id: caseId,
          revision,
          advisory_id: prev.advisoryId,
          summary: 'Vendor statements updated',
          date: now,
          snapshot: null,
          status: 'building',
          created_at: now,
        })
        .execute();
      return revision;
    });
    if (created === null) return { revision: null };
    pending = { revision: created };
  }
  try {
    await runSteps(ctx, caseId, pending.revision, REVISION_STEPS);
  } catch (e) {
    if (e instanceof InvalidDocument) {
      await fail(ctx, caseId, pending.revision, 'validate', e.message);
      return { revision: null };
    }
    throw e;
  }
  return { revision: pending.revision };
}

/** After release, a statement change asks for a new revision (in the statement's transaction). */
export async function enqueueRevisionIfReleased(ctx: AppContext, trx: Kysely<DB>, caseId: string, key: string): Promise<void> {
  if (!(await isReleased(trx, caseId))) return;
  await ctx.jobs.enqueue(trx, REVISE_JOB, { caseId }, { key: `revise:${caseId}:${key}` });
}

export function registerReleaseJobs(ctx: AppContext): void {
  ctx.jobs.register<ReleaseJobData>(
    RELEASE_JOB,
    async (job) => {
      await runRelease(ctx, job.data.caseId, job.data.trigger);
    },
    // Release day: the job starts within a fifth of a second of the action.
    { pollingIntervalSeconds: 0.2 },
  );
  ctx.jobs.register<{ caseId: string }>(
    REVISE_JOB,
    async (job) => {
      await reviseRelease(ctx, job.data.caseId);
    },
    { pollingIntervalSeconds: 1 },
  );
}

/** For the CLI and the coordinator's button alike: the case id from an id or a ref. */
export async function caseIdFromRef(db: Kysely<DB>, refOrId: string): Promise<string | undefined> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(refOrId);
  const row = await db
    .selectFrom('cases')
    .select('id')
    .where(uuid ? 'id' : 'ref', '=', uuid ? refOrId : refOrId.toUpperCase())
    .executeTakeFirst();
  return row?.id;
}
