// A case's vulnerabilities with their scores and affected products, and vendors' statements.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { CveIdSchema } from '../../formats/cve-id.ts';
import { CweIdSchema } from '../../formats/cwe.ts';
import { VEX_JUSTIFICATIONS } from '../../formats/vex.ts';
import { problems } from '../../problem.ts';
import { auditCaseRead, authorizeCase } from '../../services/case-access.ts';
import {
  addVulnerability,
  listVulnerabilities,
  putStatement,
  statementMatrix,
  updateVulnerability,
} from '../../services/vulnerabilities.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, iso, NOTHING_TO_CHANGE, nonEmpty, Ok, ProblemSchema, Timestamp } from '../schemas.ts';
import { Purl } from './reports.ts';

const CaseParams = z.strictObject({ id: z.uuid() });
const VulnParams = z.strictObject({ id: z.uuid(), vulnerabilityId: z.uuid() });
const Ssvc = z.strictObject({
  table: z.string().min(1).max(64),
  values: z.record(z.string().min(1).max(64), z.string().min(1).max(64)),
});
const Product = z.strictObject({
  vendorOrgId: z.uuid().optional(),
  productName: z.string().trim().min(1).max(200),
  purl: Purl.optional(),
  versionRange: z.string().trim().min(1).max(500).optional().describe('A purl vers range (vers:npm/>=1.0.0|<1.2.3) or free text'),
});
const VulnFields = {
  cveId: CveIdSchema.nullable().optional(),
  title: z.string().trim().min(3).max(300),
  description: z.string().max(50_000).optional(),
  cweIds: z.array(CweIdSchema).max(20).optional(),
  cvss31: z.string().max(300).nullable().optional().describe('CVSS v3.1 vector; the score is computed'),
  cvss40: z.string().max(300).nullable().optional().describe('CVSS v4.0 vector; the score is computed'),
  ssvc: Ssvc.nullable().optional().describe('An SSVC decision: the table and a value for each decision point'),
};

const VulnOut = z.object({
  id: z.uuid(),
  cveId: z.string().nullable(),
  title: z.string(),
  description: z.string(),
  cweIds: z.array(z.string()),
  cvss31: z.object({ vector: z.string(), baseScore: z.number() }).nullable(),
  cvss40: z.object({ vector: z.string(), baseScore: z.number() }).nullable(),
  ssvc: z.unknown().nullable(),
  products: z.array(
    z.object({
      id: z.uuid(),
      vendorOrgId: z.uuid().nullable(),
      productName: z.string(),
      purl: z.string().nullable(),
      versionRange: z.string().nullable(),
    }),
  ),
});

const Status = z.enum(['under_investigation', 'affected', 'not_affected', 'fixed']);
const StatementOut = z.object({
  vulnerabilityId: z.uuid(),
  orgId: z.uuid(),
  status: Status,
  justification: z.string().nullable(),
  fixedVersions: z.array(z.string()),
  remediation: z.string().nullable(),
  publicStatement: z.string().nullable(),
  advisoryUrl: z.string().nullable(),
  updatedAt: Timestamp,
});

export const vulnerabilityRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['vulnerabilities'];

    app.get(
      '/cases/:id/vulnerabilities',
      {
        schema: {
          tags,
          summary: "The case's vulnerabilities, scores and affected products",
          params: CaseParams,
          response: { 200: z.array(VulnOut), ...authErrors },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'vulnerabilities');
        return listVulnerabilities(ctx, req.params.id);
      },
    );

    app.post(
      '/cases/:id/vulnerabilities',
      {
        schema: {
          tags,
          summary: 'Add a vulnerability (coordinator)',
          params: CaseParams,
          body: z.strictObject({ ...VulnFields, products: z.array(Product).max(500).optional() }),
          response: { 201: z.object({ id: z.uuid() }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.manage', req.params.id);
        reply.code(201);
        return { id: await addVulnerability(ctx, metaOf(req), rel, req.body) };
      },
    );

    app.patch(
      '/cases/:id/vulnerabilities/:vulnerabilityId',
      {
        schema: {
          tags,
          summary: 'Update a vulnerability (coordinator)',
          params: VulnParams,
          body: z.strictObject({ ...VulnFields, title: VulnFields.title.optional() }).refine(nonEmpty, NOTHING_TO_CHANGE),
          response: { 200: Ok, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.manage', req.params.id);
        await updateVulnerability(ctx, metaOf(req), rel, req.params.vulnerabilityId, req.body);
        return { ok: true as const };
      },
    );

    app.put(
      '/cases/:id/vulnerabilities/:vulnerabilityId/statement',
      {
        schema: {
          tags,
          summary:
            "State my organization's status for a vulnerability (vendors; the coordinator may state for a vendor with orgId)",
          params: VulnParams,
          body: z.strictObject({
            orgId: z.uuid().optional(),
            status: Status,
            justification: z
              .enum(VEX_JUSTIFICATIONS)
              .optional()
              .describe('VEX justification (CSAF flag label), for not_affected'),
            fixedVersions: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
            remediation: z.string().max(10_000).optional(),
            publicStatement: z.string().max(10_000).optional(),
            advisoryUrl: z
              .url({ protocol: /^https?$/ })
              .max(2000)
              .optional(),
          }),
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.statement', req.params.id);
        const { orgId, ...input } = req.body;
        const target = orgId ?? actor.orgId;
        if (target !== actor.orgId && actor.orgId !== rel.coordinatorOrgId)
          throw problems.forbidden('Vendors state their own status.');
        await putStatement(ctx, metaOf(req), actor, rel, req.params.vulnerabilityId, target, input);
        return { ok: true as const };
      },
    );

    app.get(
      '/cases/:id/statements',
      {
        schema: {
          tags,
          summary: 'Statements: the coordinator sees every vendor × vulnerability and who has not answered; a vendor its own',
          params: CaseParams,
          response: {
            200: z.object({
              vulnerabilities: z.array(z.object({ id: z.uuid(), cveId: z.string().nullable(), title: z.string() })),
              vendors: z.array(z.object({ orgId: z.uuid(), name: z.string() })),
              statements: z.array(StatementOut),
              missing: z.array(z.object({ orgId: z.uuid(), orgName: z.string(), vulnerabilityId: z.uuid() })),
            }),
            ...authErrors,
          },
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.read', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'statements');
        const m = await statementMatrix(ctx, actor, rel);
        return { ...m, statements: m.statements.map((s) => ({ ...s, updatedAt: iso(s.updatedAt) })) };
      },
    );
  };
