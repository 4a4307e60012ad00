// Parachute cords: conditions agreed when participants join a case which, when met, make Village
// act at once (end the embargo, open the next tent, or alert everyone). Pure domain logic, no I/O;
// every time is passed in.
//
// A Signal is something that may pull a cord: a participant's report (with evidence) or an entry
// from a feed Village polls (CISA KEV, OSV, RSS/Atom). Signals are matched to a case by CVE id,
// package identity (purl without version; a versioned purl must lie in the case's vers range, when
// it has one) and whole-word keywords; a person's signal belongs to
// the case it was reported in.
//
// Rules kept here:
//   * A cord fires once. decideFiring skips cords already fired, so replaying a signal (a feed
//     polled twice, a retried job) does nothing new.
//   * release-now subsumes alert (a release tells everyone anyway); several cords asking for the
//     same action give one action naming all of them.
//   * Fails safe towards telling people: release-now only releases while an embargo is in force
//     and the current cord set is acknowledged by every participant; otherwise it alerts. A cord
//     nobody agreed to must not end an embargo.
//   * exploit-public and attacks-observed signals imply the Vultron case-state events X and A;
//     recording them is the service's job (cs.ts decides whether the transition is allowed).
//   * Acknowledgements are bound to a hash of the canonical cord set, so any change to the cords
//     needs everyone to acknowledge again.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { CveIdInput } from '../formats/cve-id.ts';
import { normalizePurl } from '../formats/purl-normal.ts';
import { parseVers, rangeMatcher } from '../formats/vers.ts';
import type { EmState } from './vultron/em.ts';

const DateLike = z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);
const Id = z.string().min(1).max(200);
const Url = z.url({ protocol: /^https?$/ }).max(2000);

/** A purl as input: must parse; kept as given (matching normalises). */
const PurlInput = z
  .string()
  .max(1000)
  .refine((s) => packageIdentity(s) !== null, { message: 'Expected a package URL such as pkg:npm/left-pad' });

/** A keyword or phrase matched case-insensitively as whole words. */
const Keyword = z.string().trim().min(2).max(200);

export const CORD_KINDS = ['exploit-public', 'attacks-observed', 'leak-detected', 'feed-match', 'date-reached'] as const;
export type CordKind = (typeof CORD_KINDS)[number];

export const CORD_ACTIONS = ['release-now', 'open-next-tent', 'alert'] as const;
export type CordAction = (typeof CORD_ACTIONS)[number];

/** A feed a feed-match cord watches. RSS/Atom feeds are named by URL. */
export const FeedRefSchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('kev') }),
  z.strictObject({ source: z.literal('osv') }),
  z.strictObject({ source: z.literal('rss'), url: Url }),
]);
export type FeedRef = z.output<typeof FeedRefSchema>;

export const WatchSchema = z
  .strictObject({
    cveIds: z.array(CveIdInput).max(100).default([]),
    purls: z.array(PurlInput).max(100).default([]),
    keywords: z.array(Keyword).max(100).default([]),
    /** Also watch the case's own terms: its CVE ids, affected packages and keywords, as they are when a signal comes. */
    caseTerms: z.boolean().default(false),
  })
  .refine((w) => w.caseTerms || w.cveIds.length + w.purls.length + w.keywords.length > 0, {
    message: 'a watch needs at least one term',
  });
export type Watch = z.output<typeof WatchSchema>;

/** A date-reached cord's `at` that follows the embargo's agreed release date. */
export const RELEASE_DATE = 'release-date';

const cordBase = { id: Id, action: z.enum(CORD_ACTIONS) };

export const CordSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...cordBase, kind: z.literal('exploit-public') }),
  z.strictObject({ ...cordBase, kind: z.literal('attacks-observed') }),
  z.strictObject({ ...cordBase, kind: z.literal('leak-detected') }),
  z.strictObject({
    ...cordBase,
    kind: z.literal('feed-match'),
    watch: WatchSchema,
    feeds: z.array(FeedRefSchema).min(1).max(50),
  }),
  z.strictObject({
    ...cordBase,
    kind: z.literal('date-reached'),
    /** An instant, or 'release-date': the embargo's release date, wherever it moves. */
    at: z.union([z.literal(RELEASE_DATE), DateLike]),
  }),
]);
export type Cord = z.output<typeof CordSchema>;

/** A case's cords, with unique ids. */
export const CordListSchema = z
  .array(CordSchema)
  .max(50)
  .refine((cords) => new Set(cords.map((c) => c.id)).size === cords.length, { message: 'cord ids must be unique' });

// ---------------------------------------------------------------------------------------------
// Signals

/** What a signal claims. A feed entry that only mentions something is a 'mention'. */
export const SIGNAL_KINDS = ['exploit-public', 'attacks-observed', 'leak-detected', 'mention'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SignalSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('person'),
    caseId: Id,
    orgId: Id,
    userId: Id,
    evidence: z.strictObject({ text: z.string().trim().min(1).max(10_000), url: Url.optional() }),
  }),
  z.strictObject({
    kind: z.literal('kev'),
    catalogVersion: z.string().max(100),
    vendorProject: z.string().max(500),
    product: z.string().max(500),
    knownRansomwareCampaignUse: z.boolean(),
    notes: z.string().max(10_000),
  }),
  z.strictObject({ kind: z.literal('osv'), recordId: Id }),
  z.strictObject({ kind: z.literal('rss'), feedUrl: Url, itemId: z.string().max(2000), link: Url.optional() }),
]);
export type SignalSource = z.output<typeof SignalSourceSchema>;

export const SignalSchema = z.strictObject({
  /** Stable for the same underlying fact (kev:CVE-…, the feed item's guid), for the record. */
  id: z.string().min(1).max(2200),
  kind: z.enum(SIGNAL_KINDS),
  source: SignalSourceSchema,
  at: DateLike,
  cveIds: z.array(CveIdInput).max(1000),
  /** Package URLs, with or without versions; invalid ones never match. */
  purls: z.array(z.string().max(1000)).max(1000),
  text: z.string().max(100_000),
});
export type Signal = z.output<typeof SignalSchema>;
export type SignalInput = z.input<typeof SignalSchema>;

/** The Vultron case-state event a signal implies: eXploit public or Attacks observed. */
export function impliedCsEvent(signal: Pick<Signal, 'kind'>): 'X' | 'A' | null {
  if (signal.kind === 'exploit-public') return 'X';
  if (signal.kind === 'attacks-observed') return 'A';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Case facts

export const AffectedPurlSchema = z.strictObject({
  purl: PurlInput,
  /** A version range as stored with the case (vers or free text): a vers range narrows versioned matches. */
  range: z.string().max(1000).optional(),
});

export const CordAckSchema = z.strictObject({ orgId: Id, cordSetHash: z.string().regex(/^[0-9a-f]{64}$/), at: DateLike });
export type CordAck = z.output<typeof CordAckSchema>;

export const CaseFactsSchema = z.strictObject({
  caseId: Id,
  cveIds: z.array(CveIdInput).max(1000),
  affected: z.array(AffectedPurlSchema).max(10_000),
  keywords: z.array(Keyword).max(100),
  embargo: z.enum(['N', 'P', 'A', 'R', 'X']) satisfies z.ZodType<EmState>,
  cords: CordListSchema,
  /** Participating organizations (coordinator included): each must acknowledge the cords. */
  participants: z.array(Id).max(10_000),
  acks: z.array(CordAckSchema).max(100_000),
});
export type CaseFacts = z.output<typeof CaseFactsSchema>;
export type CaseFactsInput = z.input<typeof CaseFactsSchema>;

// ---------------------------------------------------------------------------------------------
// Matching

/** Why a signal concerns a case or a cord. */
export type MatchReason =
  | { by: 'cve'; value: string }
  | { by: 'purl'; value: string }
  | { by: 'keyword'; value: string }
  | { by: 'case' }
  | { by: 'date'; at: Date };

export interface FiredCord {
  cord: Cord;
  reasons: MatchReason[];
}

/** pkg:type/namespace/name of a purl, or null when it does not parse. */
export function packageIdentity(purl: string): string | null {
  try {
    return normalizePurl(purl).pkg;
  } catch {
    return null;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Case-insensitive whole-word match: no letter, digit or underscore right before or after. */
export function containsKeyword(text: string, keyword: string): boolean {
  const k = keyword.trim();
  if (!k) return false;
  const words = k.split(/\s+/).map(escapeRegExp).join('\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${words}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}

interface Terms {
  cveIds: readonly string[];
  /** Packages; a `range` (vers) narrows a match to signal purls whose version it contains. */
  purls: readonly { purl: string; range?: string | undefined }[];
  keywords: readonly string[];
}

/**
 * Whether a version lies in a stored range. Fails towards matching: a free-text range or one that
 * does not parse, or a version its ordering cannot compare, counts as inside.
 */
export function versionInRange(purlType: string, version: string, range: string): boolean {
  if (!/^vers:/i.test(range.trim())) return true;
  try {
    return rangeMatcher(purlType, { kind: 'vers', vers: parseVers(range) })(version);
  } catch {
    return true;
  }
}

/** Every term of `terms` the signal names; identical terms are reported once. */
function matchTerms(signal: Signal, terms: Terms): MatchReason[] {
  const reasons: MatchReason[] = [];
  const seen = new Set<string>();
  const add = (r: MatchReason & { value: string }) => {
    const k = `${r.by}\0${r.value}`;
    if (!seen.has(k)) {
      seen.add(k);
      reasons.push(r);
    }
  };
  const signalCves = new Set(signal.cveIds.map((c) => c.toUpperCase()));
  for (const c of terms.cveIds) if (signalCves.has(c.toUpperCase())) add({ by: 'cve', value: c.toUpperCase() });
  const signalPkgs = signal.purls.flatMap((p) => {
    try {
      return [normalizePurl(p)];
    } catch {
      return [];
    }
  });
  for (const t of terms.purls) {
    const pkg = packageIdentity(t.purl);
    if (!pkg) continue;
    const hit = signalPkgs.some(
      (sp) => sp.pkg === pkg && (!t.range || sp.version === null || versionInRange(sp.type, sp.version, t.range)),
    );
    if (hit) add({ by: 'purl', value: pkg });
  }
  for (const k of terms.keywords) if (containsKeyword(signal.text, k)) add({ by: 'keyword', value: k });
  return reasons;
}

/** Why a signal concerns the case at all (empty: it does not). */
export function signalConcernsCase(signal: Signal, facts: CaseFacts): MatchReason[] {
  if (signal.source.kind === 'person') return signal.source.caseId === facts.caseId ? [{ by: 'case' }] : [];
  return matchTerms(signal, { cveIds: facts.cveIds, purls: facts.affected, keywords: facts.keywords });
}

function watchesSource(feeds: readonly FeedRef[], source: SignalSource): boolean {
  return feeds.some((f) => {
    if (f.source !== source.kind) return false;
    return f.source !== 'rss' || (source.kind === 'rss' && sameUrl(f.url, source.feedUrl));
  });
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/**
 * The cords a signal fires on a case, and why. A claim cord (exploit-public, attacks-observed,
 * leak-detected) fires on a signal making that claim about the case; a feed-match cord fires on
 * an entry from a feed it watches naming one of its terms. date-reached cords never fire here
 * (see dueDateCords). Whether a cord already fired is decideFiring's question.
 */
export function matchSignal(signal: Signal, facts: CaseFacts): FiredCord[] {
  const fired: FiredCord[] = [];
  let concerns: MatchReason[] | undefined;
  for (const cord of facts.cords) {
    if (cord.kind === 'feed-match') {
      if (signal.source.kind === 'person' || !watchesSource(cord.feeds, signal.source)) continue;
      const reasons = matchTerms(signal, {
        cveIds: [...cord.watch.cveIds, ...(cord.watch.caseTerms ? facts.cveIds : [])],
        purls: [...cord.watch.purls.map((purl) => ({ purl })), ...(cord.watch.caseTerms ? facts.affected : [])],
        keywords: [...cord.watch.keywords, ...(cord.watch.caseTerms ? facts.keywords : [])],
      });
      if (reasons.length > 0) fired.push({ cord, reasons });
    } else if (cord.kind !== 'date-reached' && cord.kind === signal.kind) {
      concerns ??= signalConcernsCase(signal, facts);
      if (concerns.length > 0) fired.push({ cord, reasons: concerns });
    }
  }
  return fired;
}

/** The instant a date-reached cord is due: its own date, or the release date (null: none agreed). */
export function cordDueAt(cord: Extract<Cord, { kind: 'date-reached' }>, releaseAt: Date | null): Date | null {
  return cord.at === RELEASE_DATE ? releaseAt : cord.at;
}

/** The date-reached cords whose instant is at or before `now` (release-date cords need `releaseAt`). */
export function dueDateCords(cords: readonly Cord[], now: Date, releaseAt: Date | null = null): FiredCord[] {
  return cords.flatMap((cord) => {
    if (cord.kind !== 'date-reached') return [];
    const at = cordDueAt(cord, releaseAt);
    return at && at.getTime() <= now.getTime() ? [{ cord, reasons: [{ by: 'date' as const, at }] }] : [];
  });
}

// ---------------------------------------------------------------------------------------------
// Deciding

/** One action Village takes, with the cords that asked for it. */
export interface FiringAction {
  action: CordAction;
  cordIds: string[];
}

/** What goes on the record for each cord that fired: what fired it, when, what Village did. */
export interface FiringRecord {
  cordId: string;
  at: Date;
  signalId: string | null;
  reasons: MatchReason[];
  /** The action taken for this cord. */
  did: CordAction;
  /** Set when Village did something other than the cord's own action. */
  note?: 'subsumed-by-release' | 'no-embargo-in-force' | 'cords-not-acknowledged';
}

export interface FiringDecision {
  actions: FiringAction[];
  records: FiringRecord[];
}

export interface FiringInput {
  fired: readonly FiredCord[];
  /** Ids of cords that fired before (from the record). */
  alreadyFired: ReadonlySet<string> | readonly string[];
  embargo: EmState;
  /** Whether every participant acknowledged the current cord set (cordsAcknowledged().complete). */
  agreed: boolean;
  signalId: string | null;
  now: Date;
}

const embargoInForce = (s: EmState) => s === 'A' || s === 'R';

/** The actions to take for the cords fired now, in the order release, open tent, alert. */
export function decideFiring(input: FiringInput): FiringDecision {
  const before = new Set(input.alreadyFired);
  const fresh = new Map<string, FiredCord>();
  for (const f of input.fired) {
    if (before.has(f.cord.id)) continue;
    const prev = fresh.get(f.cord.id);
    fresh.set(f.cord.id, prev ? { cord: f.cord, reasons: [...prev.reasons, ...f.reasons] } : f);
  }
  const records: FiringRecord[] = [];
  for (const { cord, reasons } of fresh.values()) {
    const r: FiringRecord = { cordId: cord.id, at: input.now, signalId: input.signalId, reasons, did: cord.action };
    if (cord.action === 'release-now' && !embargoInForce(input.embargo))
      Object.assign(r, { did: 'alert', note: 'no-embargo-in-force' });
    else if (cord.action === 'release-now' && !input.agreed) Object.assign(r, { did: 'alert', note: 'cords-not-acknowledged' });
    records.push(r);
  }
  const releasing = records.some((r) => r.did === 'release-now');
  if (releasing)
    for (const r of records) if (r.did === 'alert') Object.assign(r, { did: 'release-now', note: 'subsumed-by-release' });
  const actions = CORD_ACTIONS.flatMap((action): FiringAction[] => {
    const cordIds = records.filter((r) => r.did === action).map((r) => r.cordId);
    return cordIds.length > 0 ? [{ action, cordIds }] : [];
  });
  return { actions, records };
}

// ---------------------------------------------------------------------------------------------
// Agreement

function canonicalCord(c: Cord): unknown {
  const sorted = (xs: readonly string[]) => [...new Set(xs)].sort();
  switch (c.kind) {
    case 'feed-match':
      return {
        ...c,
        watch: {
          cveIds: sorted(c.watch.cveIds.map((x) => x.toUpperCase())),
          purls: sorted(c.watch.purls.map((p) => normalizePurl(p).full)),
          keywords: sorted(c.watch.keywords.map((k) => k.trim().toLowerCase())),
          caseTerms: c.watch.caseTerms,
        },
        feeds: [...c.feeds]
          .map((f) => canonicalize(f.source === 'rss' ? { source: 'rss', url: new URL(f.url).href } : f) ?? '')
          .sort(),
      };
    case 'date-reached':
      return { ...c, at: c.at === RELEASE_DATE ? RELEASE_DATE : c.at.toISOString() };
    default:
      return c;
  }
}

/** SHA-256 (hex) of the canonical cord set: order of cords and of watched terms does not count. */
export function cordSetHash(cords: readonly Cord[]): string {
  const canon = [...cords].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(canonicalCord);
  return createHash('sha256')
    .update(canonicalize(canon) ?? '[]', 'utf8')
    .digest('hex');
}

export interface CordsAgreement {
  hash: string;
  /** Participants with no acknowledgement of this exact cord set. */
  pending: string[];
  complete: boolean;
}

/** Who has not acknowledged the current cord set. An acknowledgement of an earlier set does not count. */
export function cordsAcknowledged(
  cords: readonly Cord[],
  participants: readonly string[],
  acks: readonly Pick<CordAck, 'orgId' | 'cordSetHash'>[],
): CordsAgreement {
  const hash = cordSetHash(cords);
  const done = new Set(acks.filter((a) => a.cordSetHash === hash).map((a) => a.orgId));
  const pending = [...new Set(participants)].filter((p) => !done.has(p));
  return { hash, pending, complete: pending.length === 0 };
}
