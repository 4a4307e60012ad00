// Cases: the dashboard, the case as the caller's organization sees it, participants,
// the timeline, messages and artifacts. Every route asks the policy module through
// authorizeCase(); a case the caller is not in does not exist for them (404).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { RM_ACTIONS } from '../../domain/report-states.ts';
import { auditCaseRead, authorizeCase } from '../../services/case-access.ts';
import { caseTimeline, getCaseView, listCases } from '../../services/case-views.ts';
import { acknowledge, addParticipant, participantRm, removeParticipant } from '../../services/cases.ts';
import { markAttachmentFor } from '../../services/leak-tracing.ts';
import { addArtifact, listArtifacts, listMessages, postMessage, readArtifact } from '../../services/messages.ts';
import { encryptForReader, openUpload, readerKeyOrConflict, wantsEncrypted } from '../../services/pgp-attachments.ts';
import { checkFile, decodeBase64 } from '../../services/uploads.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, iso, isoOrNull, Ok, ProblemSchema, Timestamp } from '../schemas.ts';
import { sendFile } from './reports.ts';

export const TlpLabel = z
  .string()
  .transform((s) => s.toUpperCase().replace(/^TLP:/, ''))
  .pipe(z.enum(['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED']))
  .describe('TLP 2.0 label: CLEAR, GREEN, AMBER, AMBER+STRICT or RED');
const RmStateOut = z.enum(['S', 'R', 'I', 'V', 'D', 'A', 'C']);
const Role = z.enum(['reporter', 'coordinator', 'vendor', 'other']);
const CaseParams = z.strictObject({ id: z.uuid() });

const ParticipantOut = z.object({
  orgId: z.uuid(),
  orgName: z.string(),
  role: Role,
  rmState: RmStateOut,
  tlpCeiling: z.string(),
  vendorAwareAt: Timestamp.nullable(),
  fixReadyAt: Timestamp.nullable(),
  fixDeployedAt: Timestamp.nullable(),
  invitedAt: Timestamp,
  acknowledgedAt: Timestamp.nullable(),
  removedAt: Timestamp.nullable(),
});

const CaseOut = z.object({
  id: z.uuid(),
  ref: z.string(),
  title: z.string(),
  summary: z.string(),
  coordinatorOrgId: z.uuid(),
  communityId: z.uuid().nullable(),
  emState: z.enum(['N', 'P', 'A', 'R', 'X']),
  releaseAt: Timestamp.nullable(),
  embargoEndedReason: z.string().nullable(),
  publicAwareAt: Timestamp.nullable(),
  exploitPublicAt: Timestamp.nullable(),
  attacksObservedAt: Timestamp.nullable(),
  ackHours: z.number().int(),
  closedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  myRole: Role,
  participants: z.array(ParticipantOut),
});

const MessageOut = z.object({
  id: z.uuid(),
  threadId: z.uuid(),
  subject: z.string(),
  body: z.string(),
  tlp: z.string(),
  audience: z.enum(['all', 'org']),
  audienceOrgId: z.uuid().nullable(),
  authorUserId: z.uuid(),
  authorOrgId: z.uuid(),
  createdAt: Timestamp,
});

const ArtifactOut = z.object({
  id: z.uuid(),
  name: z.string(),
  mediaType: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  tlp: z.string(),
  audience: z.enum(['all', 'org']),
  audienceOrgId: z.uuid().nullable(),
  uploadedByOrg: z.uuid(),
  createdAt: Timestamp,
});

export const caseRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['cases'];

    app.get(
      '/cases',
      {
        schema: {
          tags,
          summary: 'My cases (coordinated or joined) with the next deadline of each',
          querystring: z.strictObject({ open: z.enum(['true', 'false']).optional() }),
          response: {
            200: z.array(
              z.object({
                id: z.uuid(),
                ref: z.string(),
                title: z.string(),
                emState: z.enum(['N', 'P', 'A', 'R', 'X']),
                releaseAt: Timestamp.nullable(),
                myRole: Role,
                closedAt: Timestamp.nullable(),
                nextDeadline: Timestamp.nullable(),
                nextDeadlineKind: z.string().nullable(),
                pendingAcks: z.number().int(),
                ndaRequired: z
                  .object({ communityId: z.uuid(), version: z.number().int(), hash: z.string() })
                  .nullable()
                  .describe("Set when the case's title is withheld until the user accepts this NDA version"),
              }),
            ),
            ...authErrors,
          },
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rows = await listCases(ctx, actor, { open: req.query.open === 'true' });
        return rows.map((c) => ({
          ...c,
          releaseAt: isoOrNull(c.releaseAt),
          closedAt: isoOrNull(c.closedAt),
          nextDeadline: isoOrNull(c.nextDeadline),
        }));
      },
    );

    app.get(
      '/cases/:id',
      {
        schema: {
          tags,
          summary: 'A case as my organization may see it',
          params: CaseParams,
          response: { 200: CaseOut, ...authErrors },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'case');
        const c = await getCaseView(ctx, req.actor, rel);
        return {
          ...c,
          releaseAt: isoOrNull(c.releaseAt),
          publicAwareAt: isoOrNull(c.publicAwareAt),
          exploitPublicAt: isoOrNull(c.exploitPublicAt),
          attacksObservedAt: isoOrNull(c.attacksObservedAt),
          closedAt: isoOrNull(c.closedAt),
          createdAt: iso(c.createdAt),
          participants: c.participants.map((p) => ({
            ...p,
            vendorAwareAt: isoOrNull(p.vendorAwareAt),
            fixReadyAt: isoOrNull(p.fixReadyAt),
            fixDeployedAt: isoOrNull(p.fixDeployedAt),
            invitedAt: iso(p.invitedAt),
            acknowledgedAt: isoOrNull(p.acknowledgedAt),
            removedAt: isoOrNull(p.removedAt),
          })),
        };
      },
    );

    app.get(
      '/cases/:id/timeline',
      {
        schema: {
          tags,
          summary: 'Everything that happened in the case, as my organization may see it',
          params: CaseParams,
          response: {
            200: z.array(
              z.object({
                id: z.string(),
                at: Timestamp,
                kind: z.string(),
                summary: z.string(),
                actorOrgId: z.uuid().nullable(),
                data: z.unknown(),
              }),
            ),
            ...authErrors,
          },
        },
      },
      async (req) => {
        const rel = await authorizeCase(ctx, req.actor, 'case.read', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'timeline');
        return (await caseTimeline(ctx, req.actor, rel)).map((e) => ({ ...e, at: iso(e.at) }));
      },
    );

    app.post(
      '/cases/:id/participants',
      {
        schema: {
          tags,
          summary: 'Invite an organization into the case (coordinator)',
          params: CaseParams,
          body: z.strictObject({
            orgId: z.uuid(),
            role: z.enum(['reporter', 'vendor', 'other']),
            tlpCeiling: TlpLabel.optional(),
          }),
          response: { 201: z.object({ participantId: z.uuid() }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        await authorizeCase(ctx, req.actor, 'case.manage', req.params.id);
        reply.code(201);
        return { participantId: await addParticipant(ctx, metaOf(req), req.params.id, req.body) };
      },
    );

    app.delete(
      '/cases/:id/participants/:orgId',
      {
        schema: {
          tags,
          summary: 'Remove a participant (coordinator); it loses access at once',
          params: z.strictObject({ id: z.uuid(), orgId: z.uuid() }),
          body: z.strictObject({ reason: z.string().trim().min(1).max(2000) }),
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        await authorizeCase(ctx, req.actor, 'case.manage', req.params.id);
        await removeParticipant(ctx, metaOf(req), req.params.id, req.params.orgId, req.body.reason);
        return { ok: true as const };
      },
    );

    app.post(
      '/cases/:id/acknowledge',
      { schema: { tags, summary: 'Acknowledge the invitation', params: CaseParams, response: { 200: Ok, ...authErrors } } },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        await authorizeCase(ctx, actor, 'case.participate', req.params.id);
        await acknowledge(ctx, metaOf(req), req.params.id, actor.orgId);
        return { ok: true as const };
      },
    );

    app.post(
      '/cases/:id/report-management',
      {
        schema: {
          tags,
          summary: "Move my organization's Vultron report-management state (validate, invalidate, accept, defer, close)",
          params: CaseParams,
          body: z.strictObject({ action: z.enum(RM_ACTIONS) }),
          response: { 200: z.object({ state: RmStateOut }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        await authorizeCase(ctx, actor, 'case.participate', req.params.id);
        return { state: await participantRm(ctx, metaOf(req), req.params.id, actor.orgId, req.body.action) };
      },
    );

    app.get(
      '/cases/:id/messages',
      {
        schema: {
          tags,
          summary: 'Messages I may read (by audience and TLP)',
          params: CaseParams,
          response: { 200: z.array(MessageOut), ...authErrors },
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.read', req.params.id);
        return (await listMessages(ctx, metaOf(req), actor, rel)).map((m) => ({ ...m, createdAt: iso(m.createdAt) }));
      },
    );

    app.post(
      '/cases/:id/messages',
      {
        schema: {
          tags,
          summary: 'Post a message to every participant, or to one participant and the coordinator',
          params: CaseParams,
          body: z.strictObject({
            subject: z.string().trim().min(1).max(300),
            body: z.string().trim().min(1).max(100_000),
            tlp: TlpLabel,
            audience: z.enum(['all', 'org']).default('all'),
            audienceOrgId: z.uuid().optional(),
            threadId: z.uuid().optional(),
          }),
          response: { 201: MessageOut, ...authErrors },
        },
      },
      async (req, reply) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.participate', req.params.id);
        const m = await postMessage(ctx, metaOf(req), actor, rel, req.body);
        reply.code(201);
        return { ...m, createdAt: iso(m.createdAt) };
      },
    );

    app.get(
      '/cases/:id/artifacts',
      {
        schema: {
          tags,
          summary: 'Artifacts I may read',
          params: CaseParams,
          response: { 200: z.array(ArtifactOut), ...authErrors },
        },
      },
      async (req) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.read', req.params.id);
        await auditCaseRead(ctx, metaOf(req), req.params.id, 'artifacts');
        return (await listArtifacts(ctx, actor, rel)).map((a) => ({ ...a, createdAt: iso(a.createdAt) }));
      },
    );

    app.post(
      '/cases/:id/artifacts',
      {
        bodyLimit: 15 * 1024 * 1024,
        schema: {
          tags,
          summary:
            'Add an artifact (a file, base64), labelled with TLP; it may be an OpenPGP message encrypted to the instance key',
          params: CaseParams,
          body: z.strictObject({
            filename: z.string().min(1).max(255),
            contentBase64: z.string().min(1).max(14_000_000),
            tlp: TlpLabel,
            audience: z.enum(['all', 'org']).default('all'),
            audienceOrgId: z.uuid().optional(),
          }),
          response: { 201: ArtifactOut, 422: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.participate', req.params.id);
        // An upload encrypted to the instance key is decrypted first, then checked as usual.
        const upload = await openUpload(
          ctx,
          'body.contentBase64',
          req.body.filename,
          decodeBase64('body.contentBase64', req.body.contentBase64),
        );
        const file = await checkFile('body.contentBase64', upload.filename, upload.content);
        const a = await addArtifact(ctx, metaOf(req), actor, rel, req.body, file);
        reply.code(201);
        return { ...a, createdAt: iso(a.createdAt) };
      },
    );

    app.get(
      '/cases/:id/artifacts/:artifactId',
      {
        schema: {
          tags,
          summary:
            'Download an artifact I may read; ?encrypted=1 (or Accept: application/pgp-encrypted): encrypted to my OpenPGP key and signed by the instance',
          params: z.strictObject({ id: z.uuid(), artifactId: z.uuid() }),
          querystring: z.strictObject({
            encrypted: z.enum(['0', '1', 'true', 'false']).optional().describe('1: an armored OpenPGP message to my key'),
          }),
        },
      },
      async (req, reply) => {
        const actor = authorize(req, 'case.list', { type: 'instance' });
        const rel = await authorizeCase(ctx, actor, 'case.read', req.params.id);
        // The reader's key is looked up first: the 409 depends on the reader only, not the artifact.
        const key = wantsEncrypted(req.query, req.headers.accept)
          ? await readerKeyOrConflict(ctx, actor.userId, actor.orgId)
          : null;
        const a = await readArtifact(ctx, metaOf(req), actor, rel, req.params.artifactId);
        reply.header('x-tlp', `TLP:${a.tlp}`);
        // PNG, PDF and ZIP files carry the reading organization's mark (docs/leak-tracing.md),
        // inside the encryption when the reader asked for it encrypted.
        const content = await ctx.db
          .transaction()
          .execute((trx) => markAttachmentFor(ctx, trx, rel.caseId, actor.orgId, a.content));
        if (key) {
          const enc = await encryptForReader(ctx, key, a.name, content);
          reply.header('x-pgp-encrypted-to', enc.fingerprint);
          return sendFile(reply, enc.filename, 'application/pgp-encrypted', enc.content);
        }
        return sendFile(reply, a.name, a.mediaType, content);
      },
    );
  };
