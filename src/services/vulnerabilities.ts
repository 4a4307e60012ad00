// A case's vulnerabilities (CVE, CWE, CVSS 3.1 / 4.0 scored by the CVSS module, an SSVC decision
// from CERT/CC's official tables) and their affected products (purl + version range), and each
// vendor's statement per vulnerability.
import { randomUUID } from 'node:crypto';
import type { AppContext, RequestMeta } from '../context.ts';
import type { CaseRelation, UserActor } from '../domain/policy.ts';
import { parseCvss } from '../formats/cvss.ts';
import { type SsvcDecision, ssvcDecide } from '../formats/ssvc.ts';
import { problems } from '../problem.ts';
import type { StatementStatus } from '../store/schema-cases.ts';
import { auditCase } from './cases.ts';
import { type Box, caseBox } from './data-keys.ts';
import { enqueueRevisionIfReleased } from './release.ts';
import { assertNotReleased } from './release-state.ts';
import { addTimeline } from './timeline.ts';

export interface ProductInput {
  vendorOrgId?: string | undefined;
  productName: string;
  purl?: string | undefined;
  versionRange?: string | undefined;
}

export interface VulnerabilityInput {
  cveId?: string | null | undefined;
  title: string;
  description?: string | undefined;
  cweIds?: string[] | undefined;
  cvss31?: string | null | undefined;
  cvss40?: string | null | undefined;
  ssvc?: { table: string; values: Record<string, string> } | null | undefined;
  products?: ProductInput[] | undefined;
}

function scored(field: string, vector: string | null | undefined) {
  if (!vector) return { vector: null, score: null };
  try {
    const r = parseCvss(vector);
    return { vector: r.vector, score: r.baseScore };
  } catch (e) {
    throw problems.badRequest(`${field}: ${(e as Error).message}`, [{ field, message: (e as Error).message }]);
  }
}

function decided(ssvc: VulnerabilityInput['ssvc']): SsvcDecision | null {
  if (!ssvc) return null;
  try {
    return ssvcDecide(ssvc.table, ssvc.values);
  } catch (e) {
    throw problems.badRequest(`body.ssvc: ${(e as Error).message}`, [{ field: 'body.ssvc', message: (e as Error).message }]);
  }
}

export async function addVulnerability(
  ctx: AppContext,
  meta: RequestMeta,
  rel: CaseRelation,
  input: VulnerabilityInput,
): Promise<string> {
  const c31 = scored('body.cvss31', input.cvss31);
  const c40 = scored('body.cvss40', input.cvss40);
  const ssvc = decided(input.ssvc);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await assertNotReleased(trx, rel.caseId);
    if (input.cveId) {
      const dup = await trx
        .selectFrom('vulnerabilities')
        .select('id')
        .where('case_id', '=', rel.caseId)
        .where('cve_id', '=', input.cveId)
        .executeTakeFirst();
      if (dup) throw problems.conflict(`${input.cveId} is already in this case.`);
    }
    const id = randomUUID();
    const box = await caseBox(ctx, trx, rel.caseId);
    const v = await trx
      .insertInto('vulnerabilities')
      .values({
        id,
        case_id: rel.caseId,
        cve_id: input.cveId ?? null,
        title_sealed: box.seal('vulnerabilities.title', id, input.title),
        description_sealed: box.seal('vulnerabilities.description', id, input.description ?? ''),
        cwe_ids: input.cweIds ?? [],
        cvss31_vector: c31.vector,
        cvss31_score: c31.score,
        cvss40_vector: c40.vector,
        cvss40_score: c40.score,
        ssvc: ssvc ? JSON.stringify(ssvc) : null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const p of input.products ?? []) {
      await trx
        .insertInto('affected_products')
        .values({
          vulnerability_id: v.id,
          vendor_org_id: p.vendorOrgId ?? null,
          product_name: p.productName,
          purl: p.purl ?? null,
          version_range: p.versionRange ?? null,
          created_at: now,
        })
        .execute();
    }
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'vulnerability.added',
      summary: input.cveId ? `Vulnerability added: ${input.cveId}` : 'Vulnerability added',
      data: { vulnerabilityId: v.id, cveId: input.cveId ?? null },
    });
    await auditCase(ctx, trx, meta, 'case.vulnerability_add', rel.caseId, { vulnerabilityId: v.id, cveId: input.cveId ?? null });
    return v.id;
  });
}

export async function updateVulnerability(
  ctx: AppContext,
  meta: RequestMeta,
  rel: CaseRelation,
  vulnId: string,
  patch: Omit<VulnerabilityInput, 'products' | 'title'> & { title?: string | undefined },
): Promise<void> {
  const set: Record<string, unknown> = {};
  const box = patch.title !== undefined || patch.description !== undefined ? await caseBox(ctx, ctx.db, rel.caseId) : null;
  if (box && patch.title !== undefined) set.title_sealed = box.seal('vulnerabilities.title', vulnId, patch.title);
  if (box && patch.description !== undefined) {
    set.description_sealed = box.seal('vulnerabilities.description', vulnId, patch.description);
  }
  if (patch.cweIds !== undefined) set.cwe_ids = patch.cweIds;
  if (patch.cveId !== undefined) set.cve_id = patch.cveId;
  if (patch.cvss31 !== undefined) {
    const s = scored('body.cvss31', patch.cvss31);
    set.cvss31_vector = s.vector;
    set.cvss31_score = s.score;
  }
  if (patch.cvss40 !== undefined) {
    const s = scored('body.cvss40', patch.cvss40);
    set.cvss40_vector = s.vector;
    set.cvss40_score = s.score;
  }
  if (patch.ssvc !== undefined) {
    const d = decided(patch.ssvc);
    set.ssvc = d ? JSON.stringify(d) : null;
  }
  const now = ctx.clock.now();
  const fields = Object.keys(set).map((k) => k.replace(/_sealed$/, ''));
  await ctx.db.transaction().execute(async (trx) => {
    await assertNotReleased(trx, rel.caseId);
    if (typeof set.cve_id === 'string') {
      const dup = await trx
        .selectFrom('vulnerabilities')
        .select('id')
        .where('case_id', '=', rel.caseId)
        .where('cve_id', '=', set.cve_id as string)
        .where('id', '!=', vulnId)
        .executeTakeFirst();
      if (dup) throw problems.conflict(`${set.cve_id} is already in this case.`);
    }
    const r = await trx
      .updateTable('vulnerabilities')
      .set({ ...set, updated_at: now })
      .where('id', '=', vulnId)
      .where('case_id', '=', rel.caseId)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) throw problems.notFound('vulnerability');
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'vulnerability.updated',
      summary: 'Vulnerability updated',
      data: { vulnerabilityId: vulnId, fields },
    });
    await auditCase(ctx, trx, meta, 'case.vulnerability_update', rel.caseId, {
      vulnerabilityId: vulnId,
      fields,
    });
  });
}

/** A vulnerability's sealed title and description, opened. */
export function openVulnerabilityText(
  box: Box,
  v: { id: string; title_sealed: Buffer; description_sealed: Buffer },
): { title: string; description: string } {
  return {
    title: box.text('vulnerabilities.title', v.id, v.title_sealed),
    description: box.text('vulnerabilities.description', v.id, v.description_sealed),
  };
}

/** A statement's sealed free text, opened (the row is named by vulnerability and organization). */
export function openStatementText(
  box: Box,
  s: {
    vulnerability_id: string;
    org_id: string;
    justification_sealed: Buffer | null;
    remediation_sealed: Buffer | null;
    public_statement_sealed: Buffer | null;
  },
): { justification: string | null; remediation: string | null; publicStatement: string | null } {
  const row = `${s.vulnerability_id}:${s.org_id}`;
  return {
    justification: box.textOrNull('statements.justification', row, s.justification_sealed),
    remediation: box.textOrNull('statements.remediation', row, s.remediation_sealed),
    publicStatement: box.textOrNull('statements.public_statement', row, s.public_statement_sealed),
  };
}

export async function listVulnerabilities(ctx: AppContext, caseId: string) {
  const vulns = await ctx.db
    .selectFrom('vulnerabilities')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .execute();
  const products = vulns.length
    ? await ctx.db
        .selectFrom('affected_products')
        .selectAll()
        .where(
          'vulnerability_id',
          'in',
          vulns.map((v) => v.id),
        )
        .orderBy('created_at')
        .execute()
    : [];
  const box = vulns.length ? await caseBox(ctx, ctx.db, caseId) : null;
  return vulns.map((v) => ({
    id: v.id,
    cveId: v.cve_id,
    ...(box ? openVulnerabilityText(box, v) : { title: '', description: '' }),
    cweIds: v.cwe_ids,
    cvss31: v.cvss31_vector ? { vector: v.cvss31_vector, baseScore: Number(v.cvss31_score) } : null,
    cvss40: v.cvss40_vector ? { vector: v.cvss40_vector, baseScore: Number(v.cvss40_score) } : null,
    ssvc: v.ssvc as SsvcDecision | null,
    products: products
      .filter((p) => p.vulnerability_id === v.id)
      .map((p) => ({
        id: p.id,
        vendorOrgId: p.vendor_org_id,
        productName: p.product_name,
        purl: p.purl,
        versionRange: p.version_range,
      })),
  }));
}

export interface StatementInput {
  status: StatementStatus;
  justification?: string | undefined;
  fixedVersions?: string[] | undefined;
  remediation?: string | undefined;
  publicStatement?: string | undefined;
  advisoryUrl?: string | undefined;
}

/** A vendor states its status for one vulnerability (replacing its previous statement). */
export async function putStatement(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
  vulnId: string,
  orgId: string,
  input: StatementInput,
): Promise<void> {
  if (input.status === 'not_affected' && !input.justification) {
    throw problems.badRequest('A "not affected" statement needs a VEX justification.', [
      { field: 'body.justification', message: 'required for not_affected' },
    ]);
  }
  if (input.status !== 'not_affected' && input.justification) {
    throw problems.badRequest('A VEX justification goes with "not affected" only.', [
      { field: 'body.justification', message: 'only for not_affected' },
    ]);
  }
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const v = await trx
      .selectFrom('vulnerabilities')
      .select('cve_id')
      .where('id', '=', vulnId)
      .where('case_id', '=', rel.caseId)
      .executeTakeFirst();
    if (!v) throw problems.notFound('vulnerability');
    const p = await trx
      .selectFrom('case_participants')
      .select('role')
      .where('case_id', '=', rel.caseId)
      .where('org_id', '=', orgId)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    if (p?.role !== 'vendor')
      throw problems.badRequest('Statements are made by vendor participants.', [
        { field: 'orgId', message: 'not a vendor participant' },
      ]);
    const box = await caseBox(ctx, trx, rel.caseId);
    const row = `${vulnId}:${orgId}`;
    const values = {
      status: input.status,
      justification_sealed: box.sealOrNull('statements.justification', row, input.justification),
      fixed_versions: input.fixedVersions ?? [],
      remediation_sealed: box.sealOrNull('statements.remediation', row, input.remediation),
      public_statement_sealed: box.sealOrNull('statements.public_statement', row, input.publicStatement),
      advisory_url: input.advisoryUrl ?? null,
      updated_by: actor.userId,
      updated_at: now,
    };
    await trx
      .insertInto('statements')
      .values({ case_id: rel.caseId, vulnerability_id: vulnId, org_id: orgId, ...values })
      .onConflict((oc) => oc.columns(['vulnerability_id', 'org_id']).doUpdateSet(values))
      .execute();
    // After release, a changed statement becomes a new revision of the published documents.
    await enqueueRevisionIfReleased(ctx, trx, rel.caseId, `${vulnId}:${orgId}:${now.getTime()}`);
    // The statement itself is for the coordinator; other vendors see that a statement was made.
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'statement.made',
      summary: `Statement on ${v.cve_id ?? 'a vulnerability'}: ${input.status.replace('_', ' ')}`,
      data: { vulnerabilityId: vulnId, orgId, status: input.status },
      audience: 'org',
      audienceOrgId: orgId,
    });
    await auditCase(
      ctx,
      trx,
      meta,
      'case.statement',
      rel.caseId,
      { vulnerabilityId: vulnId, orgId, status: input.status },
      orgId,
    );
  });
}

export interface StatementView {
  vulnerabilityId: string;
  orgId: string;
  status: StatementStatus;
  justification: string | null;
  fixedVersions: string[];
  remediation: string | null;
  publicStatement: string | null;
  advisoryUrl: string | null;
  updatedAt: Date;
}

/**
 * Statements as the actor may see them: the coordinator sees every vendor's, with the matrix
 * of who has not answered; a vendor sees its own.
 */
export async function statementMatrix(ctx: AppContext, actor: UserActor, rel: CaseRelation) {
  const coordinating = actor.orgId === rel.coordinatorOrgId;
  let q = ctx.db.selectFrom('statements').selectAll().where('case_id', '=', rel.caseId);
  if (!coordinating) q = q.where('org_id', '=', actor.orgId);
  const rows = await q.execute();
  const box = await caseBox(ctx, ctx.db, rel.caseId);
  const vulns = await ctx.db
    .selectFrom('vulnerabilities')
    .select(['id', 'cve_id', 'title_sealed', 'description_sealed'])
    .where('case_id', '=', rel.caseId)
    .orderBy('created_at')
    .execute();
  let vq = ctx.db
    .selectFrom('case_participants as p')
    .innerJoin('organizations as o', 'o.id', 'p.org_id')
    .select(['p.org_id', 'o.name'])
    .where('p.case_id', '=', rel.caseId)
    .where('p.role', '=', 'vendor')
    .where('p.removed_at', 'is', null)
    .orderBy('o.name');
  if (!coordinating) vq = vq.where('p.org_id', '=', actor.orgId);
  const vendors = await vq.execute();
  const statements: StatementView[] = rows.map((s) => ({
    vulnerabilityId: s.vulnerability_id,
    orgId: s.org_id,
    status: s.status,
    ...openStatementText(box, s),
    fixedVersions: s.fixed_versions,
    advisoryUrl: s.advisory_url,
    updatedAt: s.updated_at,
  }));
  const has = new Set(statements.map((s) => `${s.orgId}/${s.vulnerabilityId}`));
  const missing = vendors.flatMap((o) =>
    vulns
      .filter((v) => !has.has(`${o.org_id}/${v.id}`))
      .map((v) => ({ orgId: o.org_id, orgName: o.name, vulnerabilityId: v.id })),
  );
  return {
    vulnerabilities: vulns.map((v) => ({ id: v.id, cveId: v.cve_id, title: openVulnerabilityText(box, v).title })),
    vendors: vendors.map((o) => ({ orgId: o.org_id, name: o.name })),
    statements,
    missing,
  };
}
