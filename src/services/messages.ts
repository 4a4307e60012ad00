// Case messages and artifacts: each carries a TLP 2.0 label and an audience (every
// participant, or one participant and the coordinator); the policy module decides who reads them.

import type { Selectable } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { type CaseRelation, caseCeiling, mayReadCaseItem, tlpWithin, type UserActor } from '../domain/policy.ts';
import { problems } from '../problem.ts';
import type { CaseMessagesTable, Tlp } from '../store/schema-cases.ts';
import { auditCase } from './cases.ts';
import { type Box, caseBox } from './data-keys.ts';
import { notifyMessage } from './notify.ts';
import { addTimeline } from './timeline.ts';
import type { CheckedFile } from './uploads.ts';

export interface MessageInput {
  subject: string;
  body: string;
  tlp: Tlp;
  audience: 'all' | 'org';
  audienceOrgId?: string | undefined;
  threadId?: string | undefined;
}

export interface MessageView {
  id: string;
  threadId: string;
  subject: string;
  body: string;
  tlp: Tlp;
  audience: 'all' | 'org';
  audienceOrgId: string | null;
  authorUserId: string;
  authorOrgId: string;
  createdAt: Date;
}

/** Checks an audience: an organization addressed must be an active participant of the case. */
async function checkAudience(
  ctx: AppContext,
  rel: CaseRelation,
  actor: UserActor,
  audience: 'all' | 'org',
  orgId: string | undefined,
) {
  if (audience === 'all') return null;
  if (!orgId)
    throw problems.badRequest('audienceOrgId is required for audience "org".', [
      { field: 'body.audienceOrgId', message: 'required' },
    ]);
  const coordinating = actor.orgId === rel.coordinatorOrgId;
  // A participant writes to the coordinator (its own org audience) or to everyone.
  if (!coordinating && orgId !== actor.orgId) {
    throw problems.forbidden('Participants address everyone, or their own organization and the coordinator.');
  }
  const p = await ctx.db
    .selectFrom('case_participants')
    .select('id')
    .where('case_id', '=', rel.caseId)
    .where('org_id', '=', orgId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  if (!p)
    throw problems.badRequest('That organization is not a participant.', [
      { field: 'body.audienceOrgId', message: 'not a participant' },
    ]);
  return orgId;
}

export async function postMessage(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
  input: MessageInput,
): Promise<MessageView> {
  const audienceOrgId = await checkAudience(ctx, rel, actor, input.audience, input.audienceOrgId);
  // Nobody may label above what they themselves may read.
  const ceiling = caseCeiling(actor, rel) ?? 'CLEAR';
  if (!tlpWithin(input.tlp, ceiling)) throw problems.forbidden(`Your ceiling in this case is TLP:${ceiling}.`);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const threadId = input.threadId;
    if (threadId) {
      const parent = await trx
        .selectFrom('case_messages')
        .select(['tlp', 'audience', 'audience_org_id', 'author_org_id'])
        .where('case_id', '=', rel.caseId)
        .where('id', '=', threadId)
        .executeTakeFirst();
      if (
        !parent ||
        !mayReadCaseItem(actor, rel, {
          tlp: parent.tlp,
          audience: parent.audience,
          audienceOrgId: parent.audience_org_id,
          authorOrgId: parent.author_org_id,
        })
      ) {
        throw problems.badRequest('No such thread.', [{ field: 'body.threadId', message: 'unknown thread' }]);
      }
    }
    const id = crypto.randomUUID();
    const box = await caseBox(ctx, trx, rel.caseId);
    const row = await trx
      .insertInto('case_messages')
      .values({
        id,
        case_id: rel.caseId,
        thread_id: threadId ?? id,
        subject_sealed: box.seal('case_messages.subject', id, input.subject),
        body_sealed: box.seal('case_messages.body', id, input.body),
        tlp: input.tlp,
        audience: input.audience,
        audience_org_id: audienceOrgId,
        author_user_id: actor.userId,
        author_org_id: actor.orgId,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'message.posted',
      summary: `Message posted (TLP:${input.tlp})`,
      data: { messageId: row.id, tlp: input.tlp },
      audience: input.audience,
      audienceOrgId,
      tlp: input.tlp,
    });
    await auditCase(ctx, trx, meta, 'case.message_post', rel.caseId, {
      messageId: row.id,
      tlp: input.tlp,
      audience: input.audience,
    });
    await notifyMessage(ctx, trx, {
      caseId: rel.caseId,
      messageId: row.id,
      tlp: input.tlp,
      audience: input.audience,
      audienceOrgId,
      authorOrgId: actor.orgId,
    });
    return toView(box, row);
  });
}

/** A case message's sealed subject and body, opened. */
export function openMessageText(box: Box, m: { id: string; subject_sealed: Buffer; body_sealed: Buffer }) {
  return {
    subject: box.text('case_messages.subject', m.id, m.subject_sealed),
    body: box.text('case_messages.body', m.id, m.body_sealed),
  };
}

function toView(box: Box, m: Omit<Selectable<CaseMessagesTable>, 'case_id'>): MessageView {
  return {
    id: m.id,
    threadId: m.thread_id,
    ...openMessageText(box, m),
    tlp: m.tlp,
    audience: m.audience,
    audienceOrgId: m.audience_org_id,
    authorUserId: m.author_user_id,
    authorOrgId: m.author_org_id,
    createdAt: m.created_at,
  };
}

/** The messages the actor may read; each read of embargoed text is audited. */
export async function listMessages(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
): Promise<MessageView[]> {
  const rows = await ctx.db
    .selectFrom('case_messages')
    .selectAll()
    .where('case_id', '=', rel.caseId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const visible = rows.filter((m) =>
    mayReadCaseItem(actor, rel, {
      tlp: m.tlp,
      audience: m.audience,
      audienceOrgId: m.audience_org_id,
      authorOrgId: m.author_org_id,
    }),
  );
  if (visible.length) {
    await ctx.db
      .transaction()
      .execute((trx) => auditCase(ctx, trx, meta, 'case.messages_read', rel.caseId, { messages: visible.map((m) => m.id) }));
  }
  if (!visible.length) return [];
  const box = await caseBox(ctx, ctx.db, rel.caseId);
  return visible.map((m) => toView(box, m));
}

/** What an artifact's listing shows: everything but the bytes. */
const ARTIFACT_COLUMNS = [
  'id',
  'name',
  'media_type',
  'size_bytes',
  'sha256',
  'tlp',
  'audience',
  'audience_org_id',
  'uploaded_by_org',
  'created_at',
] as const;

export interface ArtifactView {
  id: string;
  name: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  tlp: Tlp;
  audience: 'all' | 'org';
  audienceOrgId: string | null;
  uploadedByOrg: string;
  createdAt: Date;
}

export async function addArtifact(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
  input: { tlp: Tlp; audience: 'all' | 'org'; audienceOrgId?: string | undefined },
  file: CheckedFile,
): Promise<ArtifactView> {
  const audienceOrgId = await checkAudience(ctx, rel, actor, input.audience, input.audienceOrgId);
  const ceiling = caseCeiling(actor, rel) ?? 'CLEAR';
  if (!tlpWithin(input.tlp, ceiling)) throw problems.forbidden(`Your ceiling in this case is TLP:${ceiling}.`);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const id = crypto.randomUUID();
    const box = await caseBox(ctx, trx, rel.caseId);
    const row = await trx
      .insertInto('case_artifacts')
      .values({
        id,
        case_id: rel.caseId,
        name: file.filename,
        media_type: file.mediaType,
        size_bytes: file.sizeBytes,
        sha256: file.sha256,
        tlp: input.tlp,
        audience: input.audience,
        audience_org_id: audienceOrgId,
        content_sealed: box.seal('case_artifacts.content', id, file.content),
        uploaded_by: actor.userId,
        uploaded_by_org: actor.orgId,
        created_at: now,
      })
      .returning(ARTIFACT_COLUMNS)
      .executeTakeFirstOrThrow();
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'artifact.added',
      summary: `Artifact ${file.filename} added (TLP:${input.tlp})`,
      data: { artifactId: row.id, tlp: input.tlp },
      audience: input.audience,
      audienceOrgId,
      tlp: input.tlp,
    });
    await auditCase(ctx, trx, meta, 'case.artifact_add', rel.caseId, { artifactId: row.id, sha256: file.sha256, tlp: input.tlp });
    return artifactView(row);
  });
}

function artifactView(a: {
  id: string;
  name: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
  tlp: Tlp;
  audience: 'all' | 'org';
  audience_org_id: string | null;
  uploaded_by_org: string;
  created_at: Date;
}): ArtifactView {
  return {
    id: a.id,
    name: a.name,
    mediaType: a.media_type,
    sizeBytes: a.size_bytes,
    sha256: a.sha256,
    tlp: a.tlp,
    audience: a.audience,
    audienceOrgId: a.audience_org_id,
    uploadedByOrg: a.uploaded_by_org,
    createdAt: a.created_at,
  };
}

export async function listArtifacts(ctx: AppContext, actor: UserActor, rel: CaseRelation): Promise<ArtifactView[]> {
  const rows = await ctx.db
    .selectFrom('case_artifacts')
    .select(ARTIFACT_COLUMNS)
    .where('case_id', '=', rel.caseId)
    .orderBy('created_at')
    .execute();
  return rows
    .filter((a) =>
      mayReadCaseItem(actor, rel, {
        tlp: a.tlp,
        audience: a.audience,
        audienceOrgId: a.audience_org_id,
        authorOrgId: a.uploaded_by_org,
        artifactId: a.id,
      }),
    )
    .map(artifactView);
}

/** One artifact's bytes, if the actor may read it (audited); otherwise nothing, as if it did not exist. */
export async function readArtifact(ctx: AppContext, meta: RequestMeta, actor: UserActor, rel: CaseRelation, artifactId: string) {
  const a = await ctx.db
    .selectFrom('case_artifacts')
    .selectAll()
    .where('case_id', '=', rel.caseId)
    .where('id', '=', artifactId)
    .executeTakeFirst();
  if (
    !a ||
    !mayReadCaseItem(actor, rel, {
      tlp: a.tlp,
      audience: a.audience,
      audienceOrgId: a.audience_org_id,
      authorOrgId: a.uploaded_by_org,
      artifactId: a.id,
    })
  ) {
    throw problems.notFound('artifact');
  }
  await ctx.db.transaction().execute((trx) => auditCase(ctx, trx, meta, 'case.artifact_read', rel.caseId, { artifactId }));
  const box = await caseBox(ctx, ctx.db, rel.caseId);
  return { name: a.name, mediaType: a.media_type, content: openArtifactContent(box, a), tlp: a.tlp };
}

/** An artifact's sealed bytes, opened. */
export function openArtifactContent(box: Box, a: { id: string; content_sealed: Buffer }): Buffer {
  return box.bytes('case_artifacts.content', a.id, a.content_sealed);
}
