// Parachute cords in the database: a case's cords (the default template until the coordinator
// sets its own), each participant organization's acknowledgement of the exact cord set, the
// signals that may pull a cord, and firing: deciding (src/domain/cords.ts) and acting on it —
// ending the embargo and starting the release, opening the next tent, alerting everyone — in
// one transaction with the firing's record, its timeline entry, its audit entry and the mail.
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import {
  type CaseFacts,
  type Cord,
  CordListSchema,
  cordDueAt,
  cordSetHash,
  cordsAcknowledged,
  decideFiring,
  dueDateCords,
  type FiredCord,
  type FiringDecision,
  impliedCsEvent,
  type MatchReason,
  matchSignal,
  packageIdentity,
  type Signal,
  SignalSchema,
  signalConcernsCase,
} from '../domain/cords.ts';
import type { CaseRelation, UserActor } from '../domain/policy.ts';
import { scheduledOpening } from '../domain/tents.ts';
import type { TerminationReason } from '../domain/vultron/index.ts';
import { problems } from '../problem.ts';
import { appendAudit } from '../store/audit.ts';
import type { DB } from '../store/schema.ts';
import { loadGates, loadTents } from './case-gates.ts';
import { auditCase } from './cases.ts';
import { caseBox } from './data-keys.ts';
import { applyEmbargoAction } from './embargo.ts';
import { notifyCase } from './notify.ts';
import { openTentTx } from './tents.ts';
import { addTimeline } from './timeline.ts';

/** The durable release job another service handles: publishes the case once its embargo ended. */
export const RELEASE_JOB = 'release.run';
/** Fires a case's date-reached cords that are due (scheduled at their date). */
export const CORD_DATE_JOB = 'cords.date';
/** Matches one stored feed signal against the open, embargoed cases and fires what it pulls. */
export const CORD_SIGNAL_JOB = 'cords.signal';

/** Village acting on its own (a job, a cord): no user, no organization. */
export const SYSTEM_META: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'village:cords' };

export interface ReleaseJobData {
  caseId: string;
  trigger: { kind: 'cord'; cordId: string; signalId: string | null };
}

/** What a new case starts with; the coordinator edits it, and participants acknowledge it. */
export function defaultCords(): Cord[] {
  return CordListSchema.parse([
    { id: 'exploit-public', kind: 'exploit-public', action: 'release-now' },
    { id: 'attacks-observed', kind: 'attacks-observed', action: 'release-now' },
    { id: 'leak-detected', kind: 'leak-detected', action: 'alert' },
    { id: 'release-date', kind: 'date-reached', action: 'release-now', at: 'release-date' },
    { id: 'seen-in-osv', kind: 'feed-match', action: 'alert', watch: { caseTerms: true }, feeds: [{ source: 'osv' }] },
  ]);
}

export interface CaseCords {
  cords: Cord[];
  keywords: string[];
  hash: string;
  isDefault: boolean;
  updatedAt: Date | null;
}

type KeysCtx = Pick<AppContext, 'keys'>;

/** A case's keywords, opened from their sealed form. */
async function openKeywords(ctx: KeysCtx, db: Kysely<DB>, caseId: string, sealed: Buffer | null): Promise<string[]> {
  if (!sealed) return [];
  return (await caseBox(ctx, db, caseId)).json<string[]>('case_cords.keywords', caseId, sealed);
}

export async function loadCords(ctx: KeysCtx, db: Kysely<DB>, caseId: string): Promise<CaseCords> {
  const row = await db.selectFrom('case_cords').selectAll().where('case_id', '=', caseId).executeTakeFirst();
  if (!row) {
    const cords = defaultCords();
    return { cords, keywords: [], hash: cordSetHash(cords), isDefault: true, updatedAt: null };
  }
  const cords = CordListSchema.parse(row.cords);
  const keywords = await openKeywords(ctx, db, caseId, row.keywords_sealed);
  return { cords, keywords, hash: row.set_hash, isDefault: false, updatedAt: row.updated_at };
}

/**
 * The organizations whose acknowledgement counts: every participant still in the case that can
 * see it now (an organization waiting for its tent, or suspended from the community, cannot be
 * asked yet). The coordinator is one of them.
 */
async function requiredOrgs(ctx: AppContext, trx: Kysely<DB>, caseId: string): Promise<Array<{ orgId: string; name: string }>> {
  const c = await trx
    .selectFrom('cases')
    .select(['community_id', 'coordinator_org_id'])
    .where('id', '=', caseId)
    .executeTakeFirstOrThrow();
  const parts = await trx
    .selectFrom('case_participants as p')
    .innerJoin('organizations as o', 'o.id', 'p.org_id')
    .select(['p.org_id', 'p.role', 'o.name'])
    .where('p.case_id', '=', caseId)
    .where('p.removed_at', 'is', null)
    .orderBy('o.name')
    .execute();
  const out: Array<{ orgId: string; name: string }> = [];
  for (const p of parts) {
    const gate = (
      await loadGates(
        trx,
        [{ caseId, communityId: c.community_id, role: p.role }],
        { orgId: p.org_id, userId: null },
        ctx.clock.now(),
      )
    ).get(caseId);
    const barred = gate?.standing === 'ejected' || gate?.standing === 'suspended';
    const waiting = p.org_id !== c.coordinator_org_id && gate?.tents ? !gate.tents.open : false;
    if (!barred && !waiting) out.push({ orgId: p.org_id, name: p.name });
  }
  return out;
}

async function loadAcks(trx: Kysely<DB>, caseId: string) {
  return trx.selectFrom('case_cord_acks').select(['org_id', 'set_hash', 'at']).where('case_id', '=', caseId).execute();
}

// --- views ---------------------------------------------------------------------------------------

export interface FiringView {
  cordId: string;
  at: Date;
  did: 'release-now' | 'open-next-tent' | 'alert';
  note: string | null;
  signal: { kind: string; source: string } | null;
}

export interface CordsView extends CaseCords {
  acknowledgement: {
    /** Whether the caller's organization acknowledged this exact cord set, and when. */
    mine: { required: boolean; acknowledgedAt: Date | null };
    complete: boolean;
    /** How many have not: for the coordinator only (a participant does not learn how many are in the case). */
    pendingCount: number | null;
    /** Who acknowledged: for the coordinator only (who else is in the case is not a participant's business). */
    organizations: Array<{ orgId: string; name: string; acknowledgedAt: Date | null }> | null;
  };
  firings: FiringView[];
  /** Participants' signals with their evidence: all for the coordinator, its own for anyone else. */
  signals: Array<{
    id: string;
    kind: string;
    at: Date;
    orgId: string | null;
    evidence: { text: string; url?: string } | null;
  }>;
}

export async function cordsView(ctx: AppContext, actor: UserActor, rel: CaseRelation): Promise<CordsView> {
  const db = ctx.db;
  const cc = await loadCords(ctx, db, rel.caseId);
  const required = await requiredOrgs(ctx, db, rel.caseId);
  const acks = await loadAcks(db, rel.caseId);
  const current = new Map(acks.filter((a) => a.set_hash === cc.hash).map((a) => [a.org_id, a.at]));
  const agreement = cordsAcknowledged(
    cc.cords,
    required.map((r) => r.orgId),
    acks.map((a) => ({ orgId: a.org_id, cordSetHash: a.set_hash })),
  );
  const coordinating = actor.orgId === rel.coordinatorOrgId;
  const firings = await db
    .selectFrom('case_cord_firings as f')
    .leftJoin('cord_signals as s', 's.id', 'f.signal_id')
    .select(['f.cord_id', 'f.at', 'f.did', 'f.note', 's.kind', 's.signal'])
    .where('f.case_id', '=', rel.caseId)
    .orderBy('f.at')
    .orderBy('f.cord_id')
    .execute();
  let reported = db
    .selectFrom('cord_signals')
    .select(['id', 'kind', 'received_at', 'org_id', 'evidence_sealed'])
    .where('case_id', '=', rel.caseId)
    .where('feed_id', 'is', null);
  if (!coordinating) reported = reported.where('org_id', '=', actor.orgId);
  const signalRows = await reported.orderBy('received_at').orderBy('id').execute();
  const box = signalRows.some((r) => r.evidence_sealed) ? await caseBox(ctx, db, rel.caseId) : null;
  return {
    ...cc,
    signals: signalRows.map((r) => ({
      id: r.id,
      kind: r.kind,
      at: r.received_at,
      orgId: r.org_id,
      evidence:
        box && r.evidence_sealed
          ? box.json<{ text: string; url?: string }>('cord_signals.evidence', r.id, r.evidence_sealed)
          : null,
    })),
    acknowledgement: {
      mine: { required: required.some((r) => r.orgId === actor.orgId), acknowledgedAt: current.get(actor.orgId) ?? null },
      complete: agreement.complete,
      pendingCount: coordinating ? agreement.pending.length : null,
      organizations: coordinating ? required.map((r) => ({ ...r, acknowledgedAt: current.get(r.orgId) ?? null })) : null,
    },
    firings: firings.map((f) => ({
      cordId: f.cord_id,
      at: f.at,
      did: f.did,
      note: f.note,
      signal: f.kind
        ? { kind: f.kind, source: (f.signal as { source?: { kind?: string } } | null)?.source?.kind ?? 'unknown' }
        : null,
    })),
  };
}

// --- setting and acknowledging -------------------------------------------------------------------

/**
 * The coordinator sets the case's cords (and the words that name the case in feeds). A changed
 * set needs everyone's acknowledgement again: the coordinator's is recorded, everyone else is told.
 */
export async function setCords(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
  input: { cords: Cord[]; keywords: string[] },
): Promise<void> {
  const now = ctx.clock.now();
  const hash = cordSetHash(input.cords);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.selectFrom('cases').select('id').where('id', '=', rel.caseId).forUpdate().executeTakeFirstOrThrow();
    const before = await loadCords(ctx, trx, rel.caseId);
    const keywords = [...new Set(input.keywords.map((k) => k.trim()))].sort();
    const keywordsSealed = keywords.length
      ? (await caseBox(ctx, trx, rel.caseId)).sealJson('case_cords.keywords', rel.caseId, keywords)
      : null;
    await trx
      .insertInto('case_cords')
      .values({
        case_id: rel.caseId,
        cords: JSON.stringify(input.cords),
        keywords_sealed: keywordsSealed,
        set_hash: hash,
        updated_by: actor.userId,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('case_id').doUpdateSet({
          cords: JSON.stringify(input.cords),
          keywords_sealed: keywordsSealed,
          set_hash: hash,
          updated_by: actor.userId,
          updated_at: now,
        }),
      )
      .execute();
    const changed = before.hash !== hash;
    await recordAck(trx, rel.caseId, actor.orgId, actor.userId, hash, now);
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'cords.set',
      summary: changed
        ? `The coordinator set the parachute cords (${input.cords.length}); every participant is asked to acknowledge them`
        : 'The coordinator saved the parachute cords unchanged',
      data: { hash, cords: input.cords.map((c) => ({ id: c.id, kind: c.kind, action: c.action })) },
    });
    await auditCase(ctx, trx, meta, 'case.cords_set', rel.caseId, { hash, previous: before.hash, keywords: keywords.length });
    await scheduleDateCords(ctx, trx, rel.caseId);
    if (changed) {
      await notifyCase(ctx, trx, {
        caseId: rel.caseId,
        what: 'the parachute cords changed; please acknowledge them again',
        key: `cords:${rel.caseId}:${hash}`,
        exceptOrgId: actor.orgId,
      });
    }
  });
}

async function recordAck(trx: Kysely<DB>, caseId: string, orgId: string, userId: string | null, hash: string, at: Date) {
  const r = await trx
    .insertInto('case_cord_acks')
    .values({ case_id: caseId, org_id: orgId, set_hash: hash, user_id: userId, at })
    .onConflict((oc) => oc.columns(['case_id', 'org_id', 'set_hash']).doNothing())
    .returning('at')
    .executeTakeFirst();
  return r !== undefined;
}

/**
 * The actor's organization acknowledges the cord set it was shown (by its hash): a stale hash
 * (the cords changed since) is a conflict, so nobody agrees to cords they have not seen.
 */
export async function acknowledgeCords(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
  hash: string,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.selectFrom('cases').select('id').where('id', '=', rel.caseId).forUpdate().executeTakeFirstOrThrow();
    const current = await loadCords(ctx, trx, rel.caseId);
    if (current.hash !== hash) throw problems.conflict('The parachute cords changed; read them again before acknowledging.');
    if (!(await recordAck(trx, rel.caseId, actor.orgId, actor.userId, hash, now))) return;
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'cords.acknowledged',
      summary: 'Parachute cords acknowledged',
      data: { orgId: actor.orgId, hash },
      audience: 'org',
      audienceOrgId: actor.orgId,
    });
    await auditCase(ctx, trx, meta, 'case.cords_ack', rel.caseId, { hash }, actor.orgId);
  });
}

// --- facts for matching ----------------------------------------------------------------------------

/** What matching needs of each open, embargoed case (optionally only some). */
export async function embargoedCaseFacts(ctx: KeysCtx, trx: Kysely<DB>, caseIds?: readonly string[]): Promise<CaseFacts[]> {
  let q = trx
    .selectFrom('cases as c')
    .leftJoin('case_cords as k', 'k.case_id', 'c.id')
    .select(['c.id', 'c.em_state', 'k.cords', 'k.keywords_sealed'])
    .where('c.closed_at', 'is', null)
    .where('c.em_state', 'in', ['A', 'R']);
  if (caseIds) {
    if (caseIds.length === 0) return [];
    q = q.where('c.id', 'in', caseIds);
  }
  const cases = await q.execute();
  if (cases.length === 0) return [];
  const ids = cases.map((c) => c.id);
  const vulns = await trx
    .selectFrom('vulnerabilities as v')
    .leftJoin('affected_products as a', 'a.vulnerability_id', 'v.id')
    .select(['v.case_id', 'v.cve_id', 'a.purl', 'a.version_range'])
    .where('v.case_id', 'in', ids)
    .execute();
  const keywords = new Map<string, string[]>();
  for (const c of cases) keywords.set(c.id, await openKeywords(ctx, trx, c.id, c.keywords_sealed ?? null));
  return cases.map((c) => {
    const mine = vulns.filter((v) => v.case_id === c.id);
    const cveIds = [...new Set(mine.flatMap((v) => (v.cve_id ? [v.cve_id.toUpperCase()] : [])))];
    const affected = mine.flatMap((v) =>
      v.purl && packageIdentity(v.purl) ? [{ purl: v.purl, ...(v.version_range ? { range: v.version_range } : {}) }] : [],
    );
    return {
      caseId: c.id,
      cveIds: cveIds as CaseFacts['cveIds'],
      affected,
      keywords: keywords.get(c.id) ?? [],
      embargo: c.em_state,
      cords: c.cords ? CordListSchema.parse(c.cords) : defaultCords(),
      participants: [],
      acks: [],
    };
  });
}

/** The cases a signal concerns or fires a cord of (among open, embargoed cases). */
export function casesFor(signal: Signal, facts: readonly CaseFacts[]): CaseFacts[] {
  return facts.filter((f) => signalConcernsCase(signal, f).length > 0 || matchSignal(signal, f).length > 0);
}

// --- firing ----------------------------------------------------------------------------------------

const REASON_FOR: Record<string, TerminationReason> = {
  'exploit-public': 'exploit-public',
  'attacks-observed': 'attacks-observed',
  'leak-detected': 'adversary-awareness',
  'date-reached': 'expired',
};

const KIND_WORDS: Record<Cord['kind'], string> = {
  'exploit-public': 'exploit made public',
  'attacks-observed': 'attacks observed in the wild',
  'leak-detected': 'leak detected',
  'feed-match': 'seen in a watched feed',
  'date-reached': 'date reached',
};

const DID_WORDS: Record<string, string> = {
  'release-now': 'ended the embargo and started the release',
  'open-next-tent': 'opened the next tent',
  alert: 'alerted the coordinator and every participant',
};

/** What fired it, in words: no embargoed content, only the kind of source and public identifiers. */
export function describeSignal(signal: Signal | null, reasons: readonly MatchReason[]): string {
  if (!signal) {
    const d = reasons.find((r) => r.by === 'date');
    return d && d.by === 'date' ? `the date ${d.at.toISOString()} was reached` : 'a date was reached';
  }
  switch (signal.source.kind) {
    case 'person':
      return `a participant reported it (${signal.kind})`;
    case 'kev':
      return `CISA's Known Exploited Vulnerabilities catalogue (${signal.source.catalogVersion}) lists ${signal.cveIds.join(', ')}`;
    case 'osv':
      return `OSV record ${signal.source.recordId}`;
    case 'rss':
      return `an item in the feed ${signal.source.feedUrl}`;
  }
}

export interface FireInput {
  caseId: string;
  /** The signal and its stored row; null for date cords. */
  signal: Signal | null;
  signalRowId: string | null;
  meta: RequestMeta | null;
}

/**
 * Decides and acts, in the caller's transaction: the case row is locked, so two signals for one
 * case are taken one at a time and a cord fires once (case_cord_firings' key makes sure of it).
 */
export async function fireTx(ctx: AppContext, trx: Kysely<DB>, input: FireInput): Promise<FiringDecision> {
  const now = ctx.clock.now();
  const c = await trx
    .selectFrom('cases')
    .select([
      'id',
      'ref',
      'em_state',
      'release_at',
      'closed_at',
      'coordinator_org_id',
      'exploit_public_at',
      'attacks_observed_at',
    ])
    .where('id', '=', input.caseId)
    .forUpdate()
    .executeTakeFirst();
  const none: FiringDecision = { actions: [], records: [] };
  if (!c || c.closed_at) return none;
  const cc = await loadCords(ctx, trx, c.id);
  const [facts] = await embargoedCaseFacts(ctx, trx, [c.id]);
  let fired: FiredCord[];
  if (input.signal) {
    if (!facts) return none; // only open, embargoed cases are affected
    fired = matchSignal(input.signal, { ...facts, cords: cc.cords });
    // An exploit made public, attacks observed: the case-wide Vultron flags X and A.
    const cs = impliedCsEvent(input.signal);
    if (cs && signalConcernsCase(input.signal, facts).length > 0) {
      const col = cs === 'X' ? 'exploit_public_at' : 'attacks_observed_at';
      if (!c[col])
        await trx
          .updateTable('cases')
          .set({ [col]: now, updated_at: now })
          .where('id', '=', c.id)
          .execute();
    }
  } else {
    // Dates matter only while the embargo is in force: after a release nobody needs an alert.
    if (!facts) return none;
    fired = dueDateCords(cc.cords, now, c.release_at);
  }
  if (fired.length === 0) return none;
  const required = await requiredOrgs(ctx, trx, c.id);
  const acks = await loadAcks(trx, c.id);
  const agreement = cordsAcknowledged(
    cc.cords,
    required.map((r) => r.orgId),
    acks.map((a) => ({ orgId: a.org_id, cordSetHash: a.set_hash })),
  );
  const already = await trx.selectFrom('case_cord_firings').select('cord_id').where('case_id', '=', c.id).execute();
  const decision = decideFiring({
    fired,
    alreadyFired: already.map((a) => a.cord_id),
    embargo: c.em_state,
    agreed: agreement.complete,
    signalId: input.signalRowId,
    now,
  });
  if (decision.records.length === 0) return none;
  for (const r of decision.records) {
    await trx
      .insertInto('case_cord_firings')
      .values({
        case_id: c.id,
        cord_id: r.cordId,
        at: now,
        signal_id: input.signalRowId,
        did: r.did,
        note: r.note ?? null,
        reasons: JSON.stringify(r.reasons),
      })
      .execute();
  }
  const cordById = new Map(cc.cords.map((k) => [k.id, k]));
  const done: string[] = [];
  for (const a of decision.actions) {
    const first = cordById.get(a.cordIds[0] ?? '');
    if (a.action === 'release-now') {
      const reason = REASON_FOR[first?.kind ?? ''] ?? 'other';
      await applyEmbargoAction(
        ctx,
        trx,
        null,
        { orgId: c.coordinator_org_id, userId: null },
        { caseId: c.id, coordinatorOrgId: c.coordinator_org_id },
        { type: 'terminate', reason, detail: `parachute cord ${a.cordIds.join(', ')}` },
        { notify: false },
      );
      const data: ReleaseJobData = {
        caseId: c.id,
        trigger: { kind: 'cord', cordId: a.cordIds[0] ?? '', signalId: input.signalRowId },
      };
      await ctx.jobs.enqueue(trx, RELEASE_JOB, data, { key: `release:${c.id}` });
      done.push(DID_WORDS['release-now'] as string);
    } else if (a.action === 'open-next-tent') {
      const tentId = await nextClosedTent(trx, c.id, c.release_at);
      const opened =
        tentId !== null &&
        (await openTentTx(ctx, trx, c.id, tentId, now, {
          by: 'village',
          reason: `parachute cord ${a.cordIds.join(', ')} pulled`,
          meta: input.meta ?? SYSTEM_META,
        }));
      done.push(opened ? `opened the next tent (${tentId})` : 'found no closed tent to open, and alerted everyone');
    } else {
      done.push(DID_WORDS.alert as string);
    }
  }
  const pulled = decision.records.map((r) => `“${r.cordId}” (${KIND_WORDS[cordById.get(r.cordId)?.kind ?? 'feed-match']})`);
  const what = describeSignal(input.signal, decision.records[0]?.reasons ?? []);
  const summary = `Parachute cord ${pulled.join(', ')} pulled: ${what}. Village ${done.join('; ')}.`;
  const signalData = input.signal
    ? { id: input.signal.id, kind: input.signal.kind, source: input.signal.source.kind, at: input.signal.at.toISOString() }
    : null;
  await addTimeline(trx, input.meta && input.meta.actor.type === 'user' ? input.meta : null, {
    caseId: c.id,
    at: now,
    kind: 'cord.fired',
    summary,
    data: { records: decision.records, actions: decision.actions, signal: signalData, signalRowId: input.signalRowId },
  });
  await appendAudit(trx, {
    at: now,
    actorUserId: input.meta?.actor.type === 'user' ? input.meta.actor.userId : null,
    actorOrgId: input.meta?.actor.type === 'user' ? input.meta.actor.orgId : null,
    subjectOrgId: c.coordinator_org_id,
    action: 'case.cord_fired',
    objectType: 'case',
    objectId: c.id,
    requestId: input.meta?.requestId ?? 'job:cords',
    details: {
      records: decision.records,
      actions: decision.actions,
      signal: signalData,
      signalRowId: input.signalRowId,
      did: done,
    },
  });
  // Everyone is told at once, in one mail each, with no case content.
  const words = decision.actions.some((x) => x.action === 'release-now')
    ? 'a parachute cord was pulled: the embargo has ended and the release has started'
    : decision.actions.some((x) => x.action === 'open-next-tent')
      ? 'a parachute cord was pulled: the next tent was opened'
      : 'a parachute cord was pulled: please look at the case now';
  await notifyCase(ctx, trx, {
    caseId: c.id,
    what: words,
    key: `cord:${c.id}:${decision.records.map((r) => r.cordId).join(',')}`,
  });
  return decision;
}

/** The closed tent due to open next (by schedule, then by position); null when none is closed. */
async function nextClosedTent(trx: Kysely<DB>, caseId: string, releaseAt: Date | null): Promise<string | null> {
  const c = await trx.selectFrom('cases').select('created_at').where('id', '=', caseId).executeTakeFirstOrThrow();
  const tents = ((await loadTents(trx, [caseId])).get(caseId) ?? []).filter((t) => !t.state.openedAt);
  const when = (t: (typeof tents)[number]) =>
    scheduledOpening(t.spec, releaseAt, c.created_at)?.getTime() ?? Number.POSITIVE_INFINITY;
  const next = tents.map((t, i) => ({ t, i, at: when(t) })).sort((a, b) => a.at - b.at || a.i - b.i)[0];
  return next?.t.spec.id ?? null;
}

// --- signals ---------------------------------------------------------------------------------------

/**
 * Stores a signal; returns its row id, or null when this feed item was stored before. A
 * participant's evidence (and the text it gave) is sealed under the case key: the stored signal
 * keeps only its kind and source.
 */
export async function storeSignal(
  ctx: KeysCtx,
  trx: Kysely<DB>,
  signal: Signal,
  where: { feedId: string | null; caseId: string | null; orgId?: string | null; userId?: string | null },
  now: Date,
): Promise<string | null> {
  const id = crypto.randomUUID();
  let stored: unknown = signal;
  let evidenceSealed: Buffer | null = null;
  if (signal.source.kind === 'person' && where.caseId) {
    const { evidence, ...source } = signal.source;
    stored = { ...signal, source, text: '' };
    evidenceSealed = (await caseBox(ctx, trx, where.caseId)).sealJson('cord_signals.evidence', id, evidence);
  }
  const row = await trx
    .insertInto('cord_signals')
    .values({
      id,
      feed_id: where.feedId,
      item_key: signal.id,
      case_id: where.caseId,
      kind: signal.kind,
      signal: JSON.stringify(stored),
      evidence_sealed: evidenceSealed,
      org_id: where.orgId ?? null,
      user_id: where.userId ?? null,
      received_at: now,
    })
    .onConflict((oc) => oc.columns(['feed_id', 'item_key']).where('feed_id', 'is not', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

export interface PersonSignalInput {
  kind: 'exploit-public' | 'attacks-observed' | 'leak-detected';
  evidence: { text: string; url?: string | undefined };
}

/** A participant reports a signal with evidence; the cords it pulls fire at once, in the same transaction. */
export async function reportSignal(
  ctx: AppContext,
  meta: RequestMeta,
  actor: UserActor,
  rel: CaseRelation,
  input: PersonSignalInput,
): Promise<{ signalId: string; fired: Array<{ cordId: string; did: string }> }> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const id = crypto.randomUUID();
    const signal = SignalSchema.parse({
      id: `person:${id}`,
      kind: input.kind,
      source: {
        kind: 'person',
        caseId: rel.caseId,
        orgId: actor.orgId,
        userId: actor.userId,
        evidence: { text: input.evidence.text, ...(input.evidence.url ? { url: input.evidence.url } : {}) },
      },
      at: now,
      cveIds: [],
      purls: [],
      text: input.evidence.text,
    });
    const rowId = (await storeSignal(
      ctx,
      trx,
      signal,
      { feedId: null, caseId: rel.caseId, orgId: actor.orgId, userId: actor.userId },
      now,
    )) as string;
    await addTimeline(trx, meta, {
      caseId: rel.caseId,
      at: now,
      kind: 'signal.reported',
      summary: `Signal reported: ${KIND_WORDS[input.kind]}`,
      // The evidence is sealed with the signal (GET …/cords shows it to the reporting organization
      // and the coordinator); this entry is theirs too, and the firing tells everyone.
      data: { signalId: rowId, kind: input.kind },
      audience: 'org',
      audienceOrgId: actor.orgId,
    });
    await auditCase(ctx, trx, meta, 'case.signal', rel.caseId, { signalId: rowId, kind: input.kind });
    const decision = await fireTx(ctx, trx, { caseId: rel.caseId, signal, signalRowId: rowId, meta });
    await trx.updateTable('cord_signals').set({ processed_at: now }).where('id', '=', rowId).execute();
    return { signalId: rowId, fired: decision.records.map((r) => ({ cordId: r.cordId, did: r.did })) };
  });
}

/** Matches one stored feed signal against every open, embargoed case and fires what it pulls (once). */
export async function processStoredSignal(ctx: AppContext, trx: Kysely<DB>, rowId: string): Promise<number> {
  const row = await trx.selectFrom('cord_signals').selectAll().where('id', '=', rowId).forUpdate().executeTakeFirst();
  if (!row || row.processed_at) return 0;
  const signal = SignalSchema.parse(row.signal);
  const facts = await embargoedCaseFacts(ctx, trx);
  let n = 0;
  for (const f of casesFor(signal, facts)) {
    const d = await fireTx(ctx, trx, { caseId: f.caseId, signal, signalRowId: row.id, meta: null });
    n += d.records.length;
  }
  await trx.updateTable('cord_signals').set({ processed_at: ctx.clock.now() }).where('id', '=', row.id).execute();
  return n;
}

// --- date cords --------------------------------------------------------------------------------------

/** Schedules a job at each date cord's instant (a moved date gets a new job; the old one finds nothing due). */
export async function scheduleDateCords(ctx: AppContext, trx: Kysely<DB>, caseId: string): Promise<void> {
  const c = await trx.selectFrom('cases').select(['release_at', 'closed_at']).where('id', '=', caseId).executeTakeFirst();
  if (!c || c.closed_at) return;
  const cc = await loadCords(ctx, trx, caseId);
  for (const cord of cc.cords) {
    if (cord.kind !== 'date-reached') continue;
    const at = cordDueAt(cord, c.release_at);
    if (!at) continue;
    await ctx.jobs.enqueue(trx, CORD_DATE_JOB, { caseId }, { key: `${caseId}:${cord.id}:${at.toISOString()}`, runAt: at });
  }
}

/**
 * The safety net behind the date jobs (run by housekeeping): fires the date cords that are due in
 * open, embargoed cases and have not fired, each case in its own transaction. Returns how many fired.
 */
export async function fireDueDateCords(ctx: AppContext): Promise<number> {
  const now = ctx.clock.now();
  const facts = await embargoedCaseFacts(ctx, ctx.db);
  const release = new Map(
    facts.length
      ? (
          await ctx.db
            .selectFrom('cases')
            .select(['id', 'release_at'])
            .where(
              'id',
              'in',
              facts.map((f) => f.caseId),
            )
            .execute()
        ).map((r) => [r.id, r.release_at])
      : [],
  );
  let n = 0;
  for (const f of facts) {
    if (dueDateCords(f.cords, now, release.get(f.caseId) ?? null).length === 0) continue;
    const d = await ctx.db
      .transaction()
      .execute((trx) => fireTx(ctx, trx, { caseId: f.caseId, signal: null, signalRowId: null, meta: null }));
    n += d.records.length;
  }
  return n;
}

export function registerCordJobs(ctx: AppContext): void {
  ctx.jobs.register<{ caseId: string }>(CORD_DATE_JOB, async (job) => {
    await job.once((trx) => fireTx(ctx, trx, { caseId: job.data.caseId, signal: null, signalRowId: null, meta: null }));
  });
  ctx.jobs.register<{ signalId: string }>(CORD_SIGNAL_JOB, async (job) => {
    await job.once((trx) => processStoredSignal(ctx, trx, job.data.signalId));
  });
}
