// Reading the audit log: an organization's admins read its entries; operators verify the chain.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { problems } from '../../problem.ts';
import { type Checkpoint, entryOwner, entryProof, getCheckpoint, listCheckpoints } from '../../services/audit-checkpoints.ts';
import { listOrgAudit } from '../../services/audit-log.ts';
import { verifyAuditChain } from '../../store/audit.ts';
import { authorize } from '../auth.ts';
import { authErrors, iso, ProblemSchema, Timestamp } from '../schemas.ts';

const AuditEntryOut = z.object({
  seq: z.string(),
  at: Timestamp,
  actorUserId: z.string().nullable(),
  actorOrgId: z.string().nullable(),
  subjectOrgId: z.string().nullable(),
  action: z.string(),
  objectType: z.string(),
  objectId: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.unknown(),
  hash: z.string(),
});

const CheckpointOut = z.object({
  seq: z.number().int(),
  entries: z.string().describe('Entries 1..entries are covered'),
  headHash: z.string().describe('The chain hash of the last covered entry'),
  merkleRoot: z.string().describe('RFC 9162 Merkle tree head over the covered entries’ chain hashes'),
  statement: z.string().describe('The signed text, exactly'),
  signature: z
    .string()
    .describe('Detached ASCII-armored OpenPGP signature over the statement, by the key at /.well-known/openpgp-key.asc'),
  signerFingerprint: z.string(),
  createdAt: Timestamp,
});
const checkpointOut = (c: Checkpoint) => ({ ...c, createdAt: iso(c.createdAt) });
const ProofOut = z.object({
  seq: z.string(),
  entry: z.string().describe('The canonical line, exactly as hashed'),
  prevHash: z.string(),
  hash: z.string(),
  checkpoint: CheckpointOut,
  proof: z.array(z.string()).describe('Merkle inclusion proof: sibling hashes from the leaf (seq − 1) to the root'),
});

export const auditRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['audit'];
    app.get(
      '/orgs/:id/audit',
      {
        schema: {
          tags,
          summary: 'Audit entries by or about an organization, newest first',
          params: z.strictObject({ id: z.uuid() }),
          querystring: z.strictObject({
            before: z
              .string()
              .regex(/^\d{1,19}$/)
              .optional()
              .describe('Return entries with seq below this'),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ entries: z.array(AuditEntryOut), next: z.string().nullable() }), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'audit.read', { type: 'audit', orgId: req.params.id });
        const entries = await listOrgAudit(ctx, req.params.id, { beforeSeq: req.query.before, limit: req.query.limit });
        const last = entries[entries.length - 1];
        return {
          entries: entries.map((e) => ({ ...e, at: iso(e.at) })),
          next: entries.length === req.query.limit && last ? last.seq : null,
        };
      },
    );

    app.post(
      '/audit/verify',
      {
        schema: {
          tags,
          summary: 'Recompute the whole hash chain (operators)',
          response: {
            200: z.object({
              ok: z.boolean(),
              entries: z.number().int(),
              headSeq: z.string().optional(),
              headHash: z.string().optional(),
              failure: z.object({ seq: z.string(), reason: z.string() }).optional(),
            }),
            ...authErrors,
          },
        },
      },
      async (req) => {
        authorize(req, 'audit.verify', { type: 'instance' });
        return verifyAuditChain(ctx.db);
      },
    );

    app.get(
      '/audit/checkpoints',
      {
        schema: {
          tags,
          summary: 'Signed audit checkpoints, newest first',
          querystring: z.strictObject({
            before: z.coerce.number().int().min(1).max(2_147_483_647).optional().describe('Checkpoints with seq below this'),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: z.object({ checkpoints: z.array(CheckpointOut), next: z.number().int().nullable() }), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'audit.checkpoints', { type: 'instance' });
        const list = await listCheckpoints(ctx, { before: req.query.before, limit: req.query.limit });
        const last = list[list.length - 1];
        return { checkpoints: list.map(checkpointOut), next: list.length === req.query.limit && last ? last.seq : null };
      },
    );

    app.get(
      '/audit/checkpoints/:seq',
      {
        schema: {
          tags,
          summary: 'One signed audit checkpoint',
          params: z.strictObject({ seq: z.coerce.number().int().min(1).max(2_147_483_647) }),
          response: { 200: CheckpointOut, ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'audit.checkpoints', { type: 'instance' });
        const c = await getCheckpoint(ctx, req.params.seq);
        if (!c) throw problems.notFound('checkpoint');
        return checkpointOut(c);
      },
    );

    app.get(
      '/audit/entries/:seq/proof',
      {
        schema: {
          tags,
          summary: 'An audit entry one may read, with its inclusion proof in the latest checkpoint covering it',
          params: z.strictObject({ seq: z.string().regex(/^[1-9]\d{0,17}$/) }),
          response: { 200: ProofOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'audit.checkpoints', { type: 'instance' });
        const owner = await entryOwner(ctx, req.params.seq);
        if (!owner) throw problems.notFound('audit entry');
        // The same rule as reading an organization's audit log; the instance's own entries are for operators.
        try {
          if (owner.orgId) authorize(req, 'audit.read', { type: 'audit', orgId: owner.orgId });
          else authorize(req, 'audit.verify', { type: 'instance' });
        } catch {
          throw problems.notFound('audit entry');
        }
        const p = await entryProof(ctx, req.params.seq);
        if (!p) throw problems.conflict('no checkpoint covers this entry yet');
        return { ...p, checkpoint: checkpointOut(p.checkpoint) };
      },
    );
  };
