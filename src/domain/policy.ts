// The one place that answers "may this actor do this to that?".
// Routes call authorize(); queries ask the scope helpers below for what an actor may see.
// Nothing else decides access.
import type { OrgKind, OrgRole } from '../store/schema.ts';
import type { ParticipantRole, Tlp } from '../store/schema-cases.ts';
import type { MembershipState } from './community.ts';
import { mayReadItem, type TentAccess } from './tents.ts';
import { minTlp, tlpWithin } from './tlp-order.ts';

/** Scopes an API token can carry. Account credentials (tokens, factors, sessions) need a session. */
export const TOKEN_SCOPES = [
  'org:read',
  'org:write',
  'users:read',
  'users:write',
  'audit:read',
  'instance:admin',
  'reports:read',
  'reports:write',
  'cases:read',
  'cases:write',
  'communities:read',
  'communities:write',
  // Products and SBOMs
  'products:read',
  'products:write',
] as const;
export type Scope = (typeof TOKEN_SCOPES)[number];

export type Actor =
  | { type: 'anonymous' }
  /** Whoever holds a report's private reply link: it opens that report's thread and nothing else. */
  | { type: 'reporter'; reportId: string }
  | {
      type: 'user';
      userId: string;
      orgId: string;
      orgRole: OrgRole;
      orgKind: OrgKind;
      isOperator: boolean;
      via: 'session' | 'token';
      /** Token scopes; null for a session, which carries the user's full rights. */
      scopes: readonly Scope[] | null;
    };
export type UserActor = Extract<Actor, { type: 'user' }>;

export type Resource =
  | { type: 'instance' }
  | { type: 'organization'; id: string }
  | { type: 'user'; id: string; orgId: string }
  | { type: 'account'; userId: string }
  | { type: 'audit'; orgId: string }
  | { type: 'report'; id: string }
  | { type: 'case'; relation: CaseRelation }
  | { type: 'community'; relation: CommunityRelation };

/** The actor's standing in one community, loaded by the caller from the database. */
export interface CommunityRelation {
  communityId: string;
  /** Whether the acting user is one of the community's stewards. */
  isSteward: boolean;
  /** The acting organization's membership state (null: never applied). */
  orgState: MembershipState | null;
}

/** The actor's organization's standing in one case, loaded by the caller from the database. */
export interface CaseRelation {
  caseId: string;
  coordinatorOrgId: string;
  /** The actor organization's participation, if any (removed participants have removed=true). */
  participant: { orgId: string; role: ParticipantRole; tlpCeiling: Tlp; removed: boolean } | null;
  /** What tents, community standing and the NDA allow; absent for a case with no community and no tents. */
  gate?: CaseGate;
}

/** The constraints a case's community and tents put on the actor, beside its participation. */
export interface CaseGate {
  /** What the actor's organization may see through the case's tents; null when the case has no tents. */
  tents: TentAccess | null;
  /** The organization's membership state in the case's community (null: no community, or not a member). */
  standing: MembershipState | null;
  /** The community's current NDA, when the acting user has not accepted that version. */
  ndaPending: { communityId: string; version: number; hash: string } | null;
}

export type Action =
  | 'instance.read'
  | 'instance.admin'
  | 'org.list'
  | 'org.create'
  | 'org.read'
  | 'org.update'
  | 'user.list'
  | 'user.create'
  | 'user.read'
  | 'user.update'
  | 'account.manage'
  | 'audit.read'
  | 'audit.verify'
  | 'audit.checkpoints'
  | 'report.submit'
  | 'report.thread'
  | 'report.read'
  | 'report.triage'
  | 'case.create'
  | 'case.list'
  | 'case.read'
  | 'case.manage'
  | 'case.participate'
  | 'case.state'
  | 'case.statement'
  /** Crypto-shredding: destroy a case's data keys (operators, from a session). */
  | 'case.purge'
  | 'community.list'
  | 'community.create'
  | 'community.read'
  | 'community.members'
  | 'community.manage'
  | 'community.apply'
  | 'community.sponsor'
  | 'community.accept'
  // Products and SBOMs: an organization's own; who ships what is for a case's coordinator only
  | 'product.read'
  | 'product.write'
  | 'case.affected'
  // Webhook subscriptions: instance-wide ones are the operators'; an organization's are its admins'
  | 'webhook.instance'
  | 'webhook.org'
  // Release: the coordinator starts it and previews what it will publish
  | 'case.release'
  // Leak tracing: naming the organization an excerpt came from is for the coordinator and operators
  | 'case.trace'
  // Parachute cords: the coordinator sets them, every participant acknowledges them and reports signals
  | 'case.cords'
  | 'case.cords.ack'
  | 'case.signal'
  // Feeds polled for signals: the operator's
  | 'feed.manage'
  // OpenPGP public keys: one's own, and an organization's
  | 'account.pgpkeys'
  | 'org.pgpkeys.read'
  | 'org.pgpkeys.write';

/**
 * allow, or deny as "not found" (the actor may not learn it exists), or deny as "forbidden";
 * `nda` when the denial is lifted by accepting the named NDA version.
 */
export type Decision =
  | { allow: true }
  | { allow: false; reveal: boolean; reason: string; nda?: { communityId: string; version: number; hash: string } };

const ALLOW: Decision = { allow: true };
const hidden = (reason: string): Decision => ({ allow: false, reveal: false, reason });
const forbidden = (reason: string): Decision => ({ allow: false, reveal: true, reason });

/** The token scope an action needs; undefined means tokens may never do it. */
const SCOPE_FOR: Record<Action, Scope | undefined> = {
  'instance.read': 'org:read',
  'instance.admin': 'instance:admin',
  'org.list': 'org:read',
  'org.create': 'instance:admin',
  'org.read': 'org:read',
  'org.update': 'org:write',
  'user.list': 'users:read',
  'user.create': 'users:write',
  'user.read': 'users:read',
  'user.update': 'users:write',
  'account.manage': undefined,
  'audit.read': 'audit:read',
  'audit.verify': 'instance:admin',
  'audit.checkpoints': 'audit:read',
  'report.submit': 'reports:write',
  'report.thread': undefined,
  'report.read': 'reports:read',
  'report.triage': 'reports:write',
  'case.create': 'cases:write',
  'case.list': 'cases:read',
  'case.read': 'cases:read',
  'case.manage': 'cases:write',
  'case.participate': 'cases:write',
  'case.state': 'cases:write',
  'case.statement': 'cases:write',
  'case.purge': undefined,
  'community.list': 'communities:read',
  'community.create': 'instance:admin',
  'community.read': 'communities:read',
  'community.members': 'communities:read',
  'community.manage': 'communities:write',
  'community.apply': 'communities:write',
  'community.sponsor': 'communities:write',
  // A person accepts an NDA; an automation token cannot do it for them.
  'community.accept': undefined,
  'product.read': 'products:read',
  'product.write': 'products:write',
  'case.affected': 'cases:read',
  'webhook.instance': 'instance:admin',
  'webhook.org': 'org:write',
  'case.release': 'cases:write',
  'case.trace': 'cases:write',
  'case.cords': 'cases:write',
  'case.cords.ack': 'cases:write',
  'case.signal': 'cases:write',
  'feed.manage': 'instance:admin',
  // Whoever sets a key reads the mail encrypted to it: one's own key needs a session; an
  // organization's key may be set by a token with org:write, like the organization itself.
  'account.pgpkeys': undefined,
  'org.pgpkeys.read': 'org:read',
  'org.pgpkeys.write': 'org:write',
};

export { tlpWithin };

/**
 * The token-scope part of a decision on its own, for callers that must answer before they load
 * the resource (so a token without the scope learns nothing about whether the resource exists).
 */
export function scopeDecision(actor: Actor, action: Action): Decision {
  if (actor.type === 'user' && actor.via === 'token') {
    const needed = SCOPE_FOR[action];
    if (needed === undefined) return forbidden('this action needs a signed-in session, not an API token');
    if (!actor.scopes?.includes(needed)) return forbidden(`token lacks scope ${needed}`);
  }
  return ALLOW;
}

export function decide(actor: Actor, action: Action, resource: Resource): Decision {
  if (action === 'report.submit') {
    // Anyone may report a vulnerability; an API token needs the scope.
    if (actor.type === 'user' && actor.via === 'token' && !actor.scopes?.includes('reports:write')) {
      return forbidden('token lacks scope reports:write');
    }
    return ALLOW;
  }
  if (actor.type === 'reporter') {
    return action === 'report.thread' && resource.type === 'report' && resource.id === actor.reportId
      ? ALLOW
      : hidden('a reply link opens only its own report');
  }
  if (actor.type === 'anonymous') return forbidden('authentication required');
  if (actor.via === 'token') {
    const needed = SCOPE_FOR[action];
    if (needed === undefined) return forbidden('this action needs a signed-in session, not an API token');
    if (!actor.scopes?.includes(needed)) return forbidden(`token lacks scope ${needed}`);
  }
  const op = actor.isOperator;
  const ownOrg = (orgId: string) => actor.orgId === orgId;
  const orgAdmin = (orgId: string) => ownOrg(orgId) && actor.orgRole === 'admin';

  switch (action) {
    case 'instance.read':
      return ALLOW;
    case 'audit.checkpoints':
      // Signed checkpoints reveal the number of entries and hashes only: every signed-in user may check them.
      return ALLOW;
    case 'instance.admin':
    case 'org.create':
    case 'webhook.instance':
    case 'audit.verify':
    case 'feed.manage':
    case 'case.purge':
      return op ? ALLOW : forbidden('operators only');
    case 'org.list':
      return ALLOW; // scoped by visibleOrganizations()
    case 'org.read':
      if (resource.type !== 'organization') return hidden('wrong resource');
      return op || ownOrg(resource.id) ? ALLOW : hidden('not your organization');
    case 'org.update':
    case 'webhook.org':
      if (resource.type !== 'organization') return hidden('wrong resource');
      if (op || orgAdmin(resource.id)) return ALLOW;
      return ownOrg(resource.id) ? forbidden('organization admins only') : hidden('not your organization');
    case 'user.list':
    case 'user.create':
      if (resource.type !== 'organization') return hidden('wrong resource');
      if (op || orgAdmin(resource.id)) return ALLOW;
      if (action === 'user.list' && ownOrg(resource.id)) return ALLOW;
      return ownOrg(resource.id) ? forbidden('organization admins only') : hidden('not your organization');
    case 'user.read':
      if (resource.type !== 'user') return hidden('wrong resource');
      return op || ownOrg(resource.orgId) ? ALLOW : hidden('not your organization');
    case 'user.update':
      if (resource.type !== 'user') return hidden('wrong resource');
      if (op || orgAdmin(resource.orgId)) return ALLOW;
      return ownOrg(resource.orgId) ? forbidden('organization admins only') : hidden('not your organization');
    case 'account.manage':
      if (resource.type !== 'account') return hidden('wrong resource');
      return resource.userId === actor.userId ? ALLOW : hidden('not your account');
    case 'audit.read':
      if (resource.type !== 'audit') return hidden('wrong resource');
      if (op || orgAdmin(resource.orgId)) return ALLOW;
      return ownOrg(resource.orgId) ? forbidden('organization admins only') : hidden('not your organization');
    case 'report.thread':
      // Coordinators read report threads through triage; the reply link is the reporter's.
      return hidden('reply link required');
    case 'report.read':
    case 'report.triage':
    case 'case.create':
      // Coordination is the coordinator organizations' job; operators run the instance, not cases.
      return actor.orgKind === 'coordinator' ? ALLOW : hidden('coordinators only');
    case 'case.list':
      return ALLOW; // scoped by the case queries to the actor's organization
    case 'product.read':
    case 'product.write':
      // Any member registers and reads its organization's products and SBOMs; operators too.
      if (resource.type !== 'organization') return hidden('wrong resource');
      return op || ownOrg(resource.id) ? ALLOW : hidden('not your organization');
    case 'case.trace':
      // Operators investigate leaks for the instance; a case's coordinator for its case. The
      // answer names an organization, so nobody else may ask (and outsiders learn nothing).
      if (op) return ALLOW;
      if (resource.type !== 'case') return hidden('wrong resource');
      if (resource.relation.coordinatorOrgId === actor.orgId) return ALLOW;
      return resource.relation.participant && !resource.relation.participant.removed
        ? forbidden('the case coordinator and operators only')
        : hidden('not a participant of this case');
    case 'case.read':
    case 'case.manage':
    case 'case.participate':
    case 'case.state':
    case 'case.statement':
    case 'case.affected':
    case 'case.release':
    case 'case.cords':
    case 'case.cords.ack':
    case 'case.signal': {
      if (resource.type !== 'case') return hidden('wrong resource');
      const rel = resource.relation;
      const coordinating = rel.coordinatorOrgId === actor.orgId;
      const p = rel.participant && !rel.participant.removed && rel.participant.orgId === actor.orgId ? rel.participant : null;
      // Nothing about a case is revealed to an organization that is not in it.
      if (!coordinating && !p) return hidden('not a participant of this case');
      const gate = rel.gate;
      // Suspension and ejection from the case's community take effect on the next request.
      if (gate?.standing === 'ejected' || gate?.standing === 'suspended')
        return hidden(`the organization is ${gate.standing} from the case's community`);
      // Before its first tent opens, an invited organization cannot tell the case exists.
      if (!coordinating && gate?.tents && !gate.tents.open) return hidden('no tent of this case is open to the organization yet');
      if (gate?.ndaPending) {
        return {
          allow: false,
          reveal: true,
          reason: `accept version ${gate.ndaPending.version} of the community's NDA first`,
          nda: gate.ndaPending,
        };
      }
      // Everyone in the case acknowledges the cords and may report a signal that pulls one.
      if (action === 'case.read' || action === 'case.participate' || action === 'case.cords.ack' || action === 'case.signal')
        return ALLOW;
      if (action === 'case.cords') return coordinating ? ALLOW : forbidden('the case coordinator sets the parachute cords');
      // Who ships an affected version is the coordinator's alone: participants learn nothing from it.
      if (action === 'case.affected') return coordinating ? ALLOW : forbidden('the case coordinator only');
      if (action === 'case.manage' || action === 'case.release')
        return coordinating ? ALLOW : forbidden('the case coordinator only');
      if (action === 'case.state')
        return coordinating || p?.role === 'vendor' ? ALLOW : forbidden('vendors and the coordinator only');
      return p?.role === 'vendor' || coordinating ? ALLOW : forbidden('vendors state their own status');
    }
    case 'account.pgpkeys':
      if (resource.type !== 'account') return hidden('wrong resource');
      return resource.userId === actor.userId ? ALLOW : hidden('not your account');
    case 'org.pgpkeys.read':
    case 'org.pgpkeys.write':
      if (resource.type !== 'organization') return hidden('wrong resource');
      // Members read their organization's keys; its admins (and operators) set them.
      if (op || orgAdmin(resource.id)) return ALLOW;
      if (action === 'org.pgpkeys.read' && ownOrg(resource.id)) return ALLOW;
      return ownOrg(resource.id) ? forbidden('organization admins only') : hidden('not your organization');
    case 'community.list':
      return ALLOW; // names and charters of communities are not secret: organizations apply to them
    case 'community.create':
      return op ? ALLOW : forbidden('operators only');
    case 'community.read':
    case 'community.members':
    case 'community.manage':
    case 'community.apply':
    case 'community.sponsor':
    case 'community.accept': {
      if (resource.type !== 'community') return hidden('wrong resource');
      const r = resource.relation;
      if (action === 'community.read' || action === 'community.accept') return ALLOW;
      if (action === 'community.manage') return r.isSteward ? ALLOW : forbidden('community stewards only');
      // Members in good standing see each other; stewards see everyone, applicants only themselves.
      if (action === 'community.members')
        return r.isSteward || r.orgState === 'admitted' ? ALLOW : forbidden('admitted members and stewards only');
      if (actor.orgRole !== 'admin') return forbidden('organization admins act for their organization');
      if (action === 'community.apply') return ALLOW; // the membership lifecycle decides whether it may (re)apply
      return r.orgState === 'admitted' ? ALLOW : forbidden('only admitted members sponsor');
    }
  }
}

/** What an item in a case carries that decides who may read it. */
export interface CaseItemLabel {
  tlp: Tlp;
  audience: 'all' | 'org' | 'coordinator';
  audienceOrgId: string | null;
  authorOrgId: string | null;
  /** For an artifact (or an item that is part of one): tents may limit which artifacts they see. */
  artifactId?: string | null;
}

/**
 * Whether the actor's organization may read one message, artifact or timeline entry:
 * the coordinator reads everything; the author's organization reads its own; a participant
 * reads what is addressed to everyone or to it, up to its TLP ceiling. Removed participants
 * and outsiders read nothing.
 */
export function mayReadCaseItem(actor: Actor, rel: CaseRelation, item: CaseItemLabel): boolean {
  if (actor.type !== 'user') return false;
  const gate = rel.gate;
  if (gate?.standing === 'ejected' || gate?.standing === 'suspended' || gate?.ndaPending) return false;
  if (rel.coordinatorOrgId === actor.orgId) return true;
  const p = rel.participant;
  if (!p || p.removed || p.orgId !== actor.orgId) return false;
  if (item.authorOrgId === actor.orgId) return true;
  if (item.audience === 'coordinator') return false;
  if (item.audience === 'org' && item.audienceOrgId !== actor.orgId) return false;
  if (!tlpWithin(item.tlp, p.tlpCeiling)) return false;
  // Tents: one open tent containing the organization must allow both the label and the artifact.
  return !gate?.tents || mayReadItem(gate.tents, { tlp: item.tlp, artifactId: item.artifactId ?? null });
}

/**
 * The highest label the actor's organization may read or write in a case: RED for the
 * coordinator; otherwise its participant ceiling, lowered to what its open tents allow.
 */
export function caseCeiling(actor: Actor, rel: CaseRelation): Tlp | null {
  if (actor.type !== 'user') return null;
  if (rel.coordinatorOrgId === actor.orgId) return 'RED';
  const p = rel.participant;
  if (!p || p.removed || p.orgId !== actor.orgId) return null;
  const tents = rel.gate?.tents;
  if (!tents) return p.tlpCeiling;
  return tents.open ? minTlp(p.tlpCeiling, tents.tlpCeiling) : null;
}

/**
 * Which organizations an actor may list: all of them for operators and for coordinator
 * organizations (who invite organizations into cases and tents: the directory is their address
 * book), otherwise just its own.
 */
export function visibleOrganizations(actor: Actor): { all: true } | { all: false; ids: string[] } {
  if (actor.type !== 'user') return { all: false, ids: [] };
  return actor.isOperator || actor.orgKind === 'coordinator' ? { all: true } : { all: false, ids: [actor.orgId] };
}

/** Which organization's cases an actor may list (as coordinator or participant); none for others. */
export function caseListScope(actor: Actor): { orgId: string } | null {
  return actor.type === 'user' ? { orgId: actor.orgId } : null;
}

/** Whether an actor may set another user's role or operator flag. Operators only grant operator. */
export function mayGrantOperator(actor: Actor): boolean {
  return actor.type === 'user' && actor.isOperator && actor.via === 'session';
}
