// Leak tracing (docs/leak-tracing.md): the per-case watermark secret (wrapped by the instance
// keyring, never stored in clear), the record of which organizations were given a watermarked
// copy, marking text for one recipient, and tracing an excerpt back to its recipient.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import {
  attachmentTag,
  BRIEFING_SLOT_LIST,
  CandidateTable,
  markAttachment,
  observe,
  readAttachmentMark,
  recipientSubkey,
  type Segment,
  type Slot,
  type TraceVerdict,
  threshold,
  traceObservations,
  type WatermarkKey,
  weave,
} from '../domain/watermark/index.ts';
import type { DB } from '../store/schema.ts';
import { auditCase } from './cases.ts';

/** Every slot Village's generated case text uses: what a trace looks for. */
export const TRACE_SLOTS: readonly Slot[] = BRIEFING_SLOT_LIST;

const aad = (caseId: string) => `watermark:${caseId}`;

/** The case's watermark secret, created (and wrapped) on first use. */
export async function caseWatermarkSecret(ctx: AppContext, trx: Kysely<DB>, caseId: string): Promise<Buffer> {
  let row = await trx
    .selectFrom('case_watermark_keys')
    .select(['secret_wrapped', 'kek_id'])
    .where('case_id', '=', caseId)
    .executeTakeFirst();
  if (!row) {
    const w = await ctx.keys.keyring.wrap(randomBytes(32), aad(caseId));
    await trx
      .insertInto('case_watermark_keys')
      .values({ case_id: caseId, secret_wrapped: w.wrapped, kek_id: w.kekId, created_at: ctx.clock.now() })
      .onConflict((oc) => oc.column('case_id').doNothing())
      .execute();
    row = await trx
      .selectFrom('case_watermark_keys')
      .select(['secret_wrapped', 'kek_id'])
      .where('case_id', '=', caseId)
      .executeTakeFirstOrThrow();
  }
  return ctx.keys.keyring.unwrap({ kekId: row.kek_id, wrapped: row.secret_wrapped }, aad(caseId));
}

/**
 * The watermark key for one organization's copy of text about a case, recording that it received
 * one (`kind`: 'briefing', 'advisory', 'attachment'): only recorded recipients are traced.
 */
export async function watermarkFor(
  ctx: AppContext,
  trx: Kysely<DB>,
  caseId: string,
  orgId: string,
  kind: string,
): Promise<WatermarkKey> {
  const secret = await caseWatermarkSecret(ctx, trx, caseId);
  await trx
    .insertInto('watermark_recipients')
    .values({ case_id: caseId, org_id: orgId, kind, first_at: ctx.clock.now() })
    .onConflict((oc) => oc.columns(['case_id', 'org_id']).doNothing())
    .execute();
  return { secret, recipientId: orgId };
}

/**
 * Text generated for one recipient organization (an advisory draft, a notice), carrying its
 * fingerprint. Build `segments` with the slots of src/domain/watermark (slots not in
 * TRACE_SLOTS are woven but cannot be traced).
 */
export async function watermarkText(
  ctx: AppContext,
  input: { caseId: string; orgId: string; kind: string; segments: readonly Segment[] },
): Promise<string> {
  const key = await ctx.db.transaction().execute((trx) => watermarkFor(ctx, trx, input.caseId, input.orgId, input.kind));
  return weave(input.segments, key);
}

/**
 * An attachment as served to one organization: PNG, PDF and ZIP files carry its mark (see
 * src/domain/watermark/attachments.ts); other formats are returned unchanged.
 */
export async function markAttachmentFor(
  ctx: AppContext,
  trx: Kysely<DB>,
  caseId: string,
  orgId: string,
  content: Buffer,
): Promise<Buffer> {
  const key = await watermarkFor(ctx, trx, caseId, orgId, 'attachment');
  return markAttachment(content, attachmentTag(recipientSubkey(key.secret, key.recipientId))) ?? content;
}

export interface TraceResult {
  verdict: TraceVerdict['verdict'];
  /** The organization named, when identified. */
  organization: { id: string; name: string } | null;
  /** Several organizations whose copies the excerpt matches (a combined excerpt). */
  organizations: Array<{ id: string; name: string }>;
  /** 1 − the bound on the chance that an innocent recipient scores this high. */
  confidence: number | null;
  falseAccusationBound: number | null;
  reason: string | null;
  observedSlots: number;
  scoreNats: number | null;
  thresholdNats: number;
  candidates: number;
}

/**
 * Traces an excerpt (or a leaked attachment file) to the recipient organization whose copy it
 * most likely comes from; audited.
 */
export async function traceLeak(
  ctx: AppContext,
  meta: RequestMeta,
  caseId: string,
  excerpt: string,
  file?: Buffer,
): Promise<TraceResult> {
  return ctx.db.transaction().execute(async (trx) => {
    const recipients = await trx
      .selectFrom('watermark_recipients as w')
      .innerJoin('organizations as o', 'o.id', 'w.org_id')
      .select(['o.id', 'o.name'])
      .where('w.case_id', '=', caseId)
      .orderBy('o.id')
      .execute();
    const names = new Map(recipients.map((r) => [r.id, r.name]));
    const secret = await caseWatermarkSecret(ctx, trx, caseId);
    const tag = file ? readAttachmentMark(file) : null;
    const tagged = tag ? recipients.filter((r) => attachmentTag(recipientSubkey(secret, r.id)) === tag) : [];
    if (tagged.length === 1) {
      // A 128-bit tag: an innocent organization's tag equals it with probability N·2^-128.
      const who = tagged[0] as { id: string; name: string };
      const result: TraceResult = {
        verdict: 'identified',
        organization: who,
        organizations: [who],
        confidence: 1,
        falseAccusationBound: recipients.length * 2 ** -128,
        reason: null,
        observedSlots: 0,
        scoreNats: null,
        thresholdNats: threshold(recipients.length),
        candidates: recipients.length,
      };
      await auditCase(ctx, trx, meta, 'case.trace', caseId, { verdict: 'identified', organizations: [who.id], attachment: true });
      return result;
    }
    const obs = observe(excerpt, TRACE_SLOTS);
    const v = traceObservations(
      obs,
      new CandidateTable(
        secret,
        recipients.map((r) => r.id),
      ),
    );
    const org = (id: string) => ({ id, name: names.get(id) ?? id });
    const result: TraceResult = {
      verdict: v.verdict,
      organization: v.verdict === 'identified' ? org(v.recipientId) : null,
      organizations: v.verdict === 'several' ? v.recipientIds.map(org) : v.verdict === 'identified' ? [org(v.recipientId)] : [],
      confidence: v.verdict === 'identified' ? v.confidence : null,
      falseAccusationBound: v.verdict === 'identified' ? v.falseAccusationBound : null,
      reason: v.verdict === 'identified' ? null : v.reason,
      observedSlots: v.evidence.observed,
      scoreNats: v.evidence.ranking[0]?.score ?? null,
      thresholdNats: v.evidence.threshold,
      candidates: v.evidence.candidates,
    };
    await auditCase(ctx, trx, meta, 'case.trace', caseId, {
      verdict: result.verdict,
      organizations: result.organizations.map((o) => o.id),
      observedSlots: result.observedSlots,
      excerptChars: excerpt.length,
    });
    return result;
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A case by id or reference (for the CLI). */
export async function resolveCaseId(db: Kysely<DB>, idOrRef: string): Promise<string | null> {
  const row = await db
    .selectFrom('cases')
    .select('id')
    .where((eb) => (UUID.test(idOrRef) ? eb.or([eb('id', '=', idOrRef), eb('ref', '=', idOrRef)]) : eb('ref', '=', idOrRef)))
    .executeTakeFirst();
  return row?.id ?? null;
}

/** A trace result as a few readable lines. */
export function formatTrace(r: TraceResult): string {
  const facts = `${r.observedSlots} marked places read; best score ${r.scoreNats?.toFixed(1) ?? '-'} nats, threshold ${r.thresholdNats.toFixed(1)} nats for ${r.candidates} recipients`;
  if (r.verdict === 'identified' && r.organization)
    return [
      `source: ${r.organization.name} (${r.organization.id})`,
      `confidence: ${(r.confidence ?? 0).toFixed(6)} (chance an innocent recipient scores this high ≤ ${(r.falseAccusationBound ?? 1).toExponential(1)})`,
      facts,
    ].join('\n');
  if (r.verdict === 'several')
    return [`several copies match: ${r.organizations.map((o) => `${o.name} (${o.id})`).join(', ')}`, r.reason ?? '', facts].join(
      '\n',
    );
  return [`insufficient evidence: ${r.reason ?? ''}`, facts].join('\n');
}
