// Briefing packets: what an organization joining a case late needs to be up to speed in minutes —
// what the case is, its vulnerabilities and scores, affected products, the timeline so far and the
// statements its tents allow, and the release date. Built from what the tents let that
// organization see, never more; kept as sent (briefing_packets) and rendered as plain text.
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import { mayReadItem, type TentAccess } from '../domain/tents.ts';
import { tlpWithin } from '../domain/tlp-order.ts';
import { BRIEFING_SLOTS, DATE_STYLE, type Segment, type WatermarkKey, weave } from '../domain/watermark/index.ts';
import type { DB } from '../store/schema.ts';
import type { Tlp } from '../store/schema-cases.ts';
import { caseBox } from './data-keys.ts';
import { openVulnerabilityText } from './vulnerabilities.ts';

/** Statements say who is affected before release: tents below AMBER do not see them. */
const STATEMENTS_TLP: Tlp = 'AMBER';

export interface BriefingPacket {
  format: 'village-briefing/1';
  generatedAt: string;
  case: { id: string; ref: string; title: string; summary: string; coordinator: string; openedAt: string };
  recipient: { orgId: string; orgName: string; tents: string[]; tlpCeiling: Tlp | null };
  embargo: { state: string; releaseAt: string | null };
  vulnerabilities: Array<{
    id: string;
    cveId: string | null;
    title: string;
    description: string;
    cweIds: string[];
    cvss31: { vector: string; score: number } | null;
    cvss40: { vector: string; score: number } | null;
    ssvc: unknown;
    affectedProducts: Array<{ productName: string; purl: string | null; versionRange: string | null }>;
  }>;
  statements: Array<{ vulnerability: string; organization: string; status: string; fixedVersions: string[] }> | null;
  timeline: Array<{ at: string; kind: string; summary: string; tlp: Tlp }>;
}

/** What every briefing of a case is made from, loaded once per tent opening. */
export interface BriefingSource {
  case: {
    id: string;
    ref: string;
    title: string;
    summary: string;
    coordinator: string;
    created_at: Date;
    em_state: string;
    release_at: Date | null;
  };
  vulns: Array<{
    id: string;
    cve_id: string | null;
    title: string;
    description: string;
    cwe_ids: string[];
    cvss31_vector: string | null;
    cvss31_score: string | null;
    cvss40_vector: string | null;
    cvss40_score: string | null;
    ssvc: unknown;
  }>;
  products: Array<{ vulnerability_id: string; product_name: string; purl: string | null; version_range: string | null }>;
  statements: Array<{ title: string; cve_id: string | null; name: string; status: string; fixed_versions: string[] }>;
  events: Array<{ at: Date; kind: string; summary: string; tlp: Tlp; audience: string; audience_org_id: string | null }>;
}

export async function loadBriefingSource(
  ctx: Pick<AppContext, 'keys'>,
  trx: Kysely<DB>,
  caseId: string,
): Promise<BriefingSource> {
  const box = await caseBox(ctx, trx, caseId);
  const sealedCase = await trx
    .selectFrom('cases as c')
    .innerJoin('organizations as o', 'o.id', 'c.coordinator_org_id')
    .select([
      'c.id',
      'c.ref',
      'c.title_sealed',
      'c.summary_sealed',
      'c.created_at',
      'c.em_state',
      'c.release_at',
      'o.name as coordinator',
    ])
    .where('c.id', '=', caseId)
    .executeTakeFirstOrThrow();
  const { title_sealed, summary_sealed, ...caseRest } = sealedCase;
  const c = {
    ...caseRest,
    title: box.text('cases.title', caseId, title_sealed),
    summary: box.text('cases.summary', caseId, summary_sealed),
  };
  const sealedVulns = await trx
    .selectFrom('vulnerabilities')
    .select([
      'id',
      'cve_id',
      'title_sealed',
      'description_sealed',
      'cwe_ids',
      'cvss31_vector',
      'cvss31_score',
      'cvss40_vector',
      'cvss40_score',
      'ssvc',
    ])
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .execute();
  const vulns = sealedVulns.map(({ title_sealed, description_sealed, ...v }) => ({
    ...v,
    ...openVulnerabilityText(box, { id: v.id, title_sealed, description_sealed }),
  }));
  const products = vulns.length
    ? await trx
        .selectFrom('affected_products')
        .select(['vulnerability_id', 'product_name', 'purl', 'version_range'])
        .where(
          'vulnerability_id',
          'in',
          vulns.map((v) => v.id),
        )
        .orderBy('product_name')
        .execute()
    : [];
  const statements = await trx
    .selectFrom('statements as s')
    .innerJoin('organizations as o', 'o.id', 's.org_id')
    .innerJoin('vulnerabilities as v', 'v.id', 's.vulnerability_id')
    .select(['v.id', 'v.title_sealed', 'v.description_sealed', 'v.cve_id', 'o.name', 's.status', 's.fixed_versions'])
    .where('s.case_id', '=', caseId)
    .orderBy('o.name')
    .execute()
    .then((rows) =>
      rows.map(({ id, title_sealed, description_sealed, ...s }) => ({
        ...s,
        title: openVulnerabilityText(box, { id, title_sealed, description_sealed }).title,
      })),
    );
  const events = await trx
    .selectFrom('case_events')
    .select(['at', 'kind', 'summary', 'tlp', 'audience', 'audience_org_id'])
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
  return { case: c, vulns, products, statements, events };
}

/**
 * The packet for one organization, from what `access` lets it see, further capped by its
 * participant ceiling.
 */
export function composeBriefing(
  src: BriefingSource,
  recipient: { orgId: string; orgName: string },
  access: TentAccess,
  participantCeiling: Tlp,
  now: Date,
): BriefingPacket {
  const { orgId } = recipient;
  const c = src.case;
  const may = (tlp: Tlp) => tlpWithin(tlp, participantCeiling) && mayReadItem(access, { tlp });
  const grants = access.open ? access.grants.map((g) => g.tentId) : [];
  return {
    format: 'village-briefing/1',
    generatedAt: now.toISOString(),
    case: {
      id: c.id,
      ref: c.ref,
      title: c.title,
      summary: c.summary,
      coordinator: c.coordinator,
      openedAt: c.created_at.toISOString(),
    },
    recipient: { orgId, orgName: recipient.orgName, tents: grants, tlpCeiling: access.open ? access.tlpCeiling : null },
    embargo: { state: c.em_state, releaseAt: c.release_at?.toISOString() ?? null },
    vulnerabilities: src.vulns.map((v) => ({
      id: v.id,
      cveId: v.cve_id,
      title: v.title,
      description: v.description,
      cweIds: v.cwe_ids,
      cvss31: v.cvss31_vector && v.cvss31_score !== null ? { vector: v.cvss31_vector, score: Number(v.cvss31_score) } : null,
      cvss40: v.cvss40_vector && v.cvss40_score !== null ? { vector: v.cvss40_vector, score: Number(v.cvss40_score) } : null,
      ssvc: v.ssvc ?? null,
      affectedProducts: src.products
        .filter((p) => p.vulnerability_id === v.id)
        .map((p) => ({ productName: p.product_name, purl: p.purl, versionRange: p.version_range })),
    })),
    statements: may(STATEMENTS_TLP)
      ? src.statements.map((s) => ({
          vulnerability: s.cve_id ?? s.title,
          organization: s.name,
          status: s.status,
          fixedVersions: s.fixed_versions,
        }))
      : null,
    timeline: src.events
      .filter((e) => (e.audience === 'all' || (e.audience === 'org' && e.audience_org_id === orgId)) && may(e.tlp))
      .map((e) => ({ at: e.at.toISOString(), kind: e.kind, summary: e.summary, tlp: e.tlp })),
  };
}

/** The packet for one organization, loaded and composed in the caller's transaction. */
export async function buildBriefing(
  ctx: Pick<AppContext, 'keys'>,
  trx: Kysely<DB>,
  caseId: string,
  orgId: string,
  access: TentAccess,
  participantCeiling: Tlp,
  now: Date,
): Promise<BriefingPacket> {
  const org = await trx.selectFrom('organizations').select('name').where('id', '=', orgId).executeTakeFirstOrThrow();
  return composeBriefing(
    await loadBriefingSource(ctx, trx, caseId),
    { orgId, orgName: org.name },
    access,
    participantCeiling,
    now,
  );
}

/**
 * The packet's text as segments: literal text and watermark slots (src/domain/watermark). Every
 * unordered list keeps its order; choices among equivalent phrasings and formats carry the
 * recipient's fingerprint.
 */
export function renderBriefingSegments(p: BriefingPacket): Segment[] {
  const S = BRIEFING_SLOTS;
  const out: Segment[] = [];
  const date = (iso: string): Segment => ({ slot: DATE_STYLE, value: new Date(iso) });
  const bullet: Segment = { slot: S.bullet };
  const label = p.recipient.tlpCeiling ? `TLP:${p.recipient.tlpCeiling}` : 'TLP:CLEAR';
  out.push(`${label} `, { slot: S.header }, ` ${p.recipient.orgName}\n\n`);
  out.push(`Case ${p.case.ref}: ${p.case.title}\n`);
  out.push({ slot: S.coordinatedBy }, ` ${p.case.coordinator}, `, { slot: S.opened }, ' ', date(p.case.openedAt), '.\n\n');
  if (p.case.summary) out.push(p.case.summary, '\n\n');
  if (p.embargo.releaseAt)
    out.push(`Embargo (${p.embargo.state}): `, { slot: S.releasePlanned }, ' ', date(p.embargo.releaseAt), '.\n\n');
  else out.push({ slot: S.noRelease }, '\n\n');
  out.push({ slot: S.vulnsHeading }, ` (${p.vulnerabilities.length}):\n`);
  for (const v of p.vulnerabilities) {
    out.push(bullet, ' ', v.cveId ?? { slot: S.noCve }, `: ${v.title}`);
    if (v.cweIds.length) out.push('; ', { slot: S.cwe }, ` ${v.cweIds.join(', ')}`);
    out.push('\n');
    const scores: Segment[][] = [];
    if (v.cvss31) scores.push([{ slot: S.cvss31 }, ` ${v.cvss31.score} `, { slot: S.vector }, ` ${v.cvss31.vector}`]);
    if (v.cvss40) scores.push([{ slot: S.cvss40 }, ` ${v.cvss40.score} `, { slot: S.vector }, ` ${v.cvss40.vector}`]);
    if (scores.length) {
      out.push('  ');
      for (const [i, sc] of scores.entries()) {
        if (i) out.push('; ');
        out.push(...sc);
      }
      out.push('\n');
    }
    for (const a of v.affectedProducts)
      out.push(
        '  ',
        { slot: S.affects },
        ` ${a.productName}${a.purl ? ` ${a.purl}` : ''}${a.versionRange ? ` ${a.versionRange}` : ''}\n`,
      );
  }
  if (p.statements) {
    out.push('\n', { slot: S.statementsHeading }, '\n');
    for (const s of p.statements) {
      out.push(bullet, ` ${s.organization} `, { slot: S.statementOn }, ` ${s.vulnerability}: ${s.status}`);
      if (s.fixedVersions.length) out.push(' ', { slot: S.fixedIn }, ` ${s.fixedVersions.join(', ')})`);
      out.push('\n');
    }
  }
  out.push('\n', { slot: S.timelineHeading }, '\n');
  for (const e of p.timeline)
    out.push(
      bullet,
      ' ',
      date(e.at),
      ' ',
      { slot: S.eventSeparator },
      ` ${e.summary}${e.tlp !== 'CLEAR' ? ` [TLP:${e.tlp}]` : ''}\n`,
    );
  return out;
}

/**
 * The packet as plain text (for reading, printing, and the mail of later versions). With a
 * watermark key the text carries that recipient's fingerprint; without, the canonical wording.
 */
export function renderBriefingText(p: BriefingPacket, mark?: WatermarkKey): string {
  return weave(renderBriefingSegments(p), mark);
}
