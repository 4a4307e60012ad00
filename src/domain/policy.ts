// The one place that answers "may this actor do this to that?".
// Routes call authorize(); queries ask the scope helpers below for what an actor may see.
// Nothing else decides access.
import type { OrgKind, OrgRole } from '../store/schema.ts';

/** Scopes an API token can carry. Account credentials (tokens, factors, sessions) need a session. */
export const TOKEN_SCOPES = ['org:read', 'org:write', 'users:read', 'users:write', 'audit:read', 'instance:admin'] as const;
export type Scope = (typeof TOKEN_SCOPES)[number];

export type Actor =
  | { type: 'anonymous' }
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
  | { type: 'audit'; orgId: string };

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
  | 'audit.verify';

/** allow, or deny as "not found" (the actor may not learn it exists), or deny as "forbidden". */
export type Decision = { allow: true } | { allow: false; reveal: boolean; reason: string };

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
};

export function decide(actor: Actor, action: Action, resource: Resource): Decision {
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
    case 'instance.admin':
    case 'org.create':
    case 'audit.verify':
      return op ? ALLOW : forbidden('operators only');
    case 'org.list':
      return ALLOW; // scoped by visibleOrganizations()
    case 'org.read':
      if (resource.type !== 'organization') return hidden('wrong resource');
      return op || ownOrg(resource.id) ? ALLOW : hidden('not your organization');
    case 'org.update':
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
  }
}

/** Which organizations an actor may list: all of them (operators) or just its own. */
export function visibleOrganizations(actor: Actor): { all: true } | { all: false; ids: string[] } {
  if (actor.type === 'anonymous') return { all: false, ids: [] };
  return actor.isOperator ? { all: true } : { all: false, ids: [actor.orgId] };
}

/** Whether an actor may set another user's role or operator flag. Operators only grant operator. */
export function mayGrantOperator(actor: Actor): boolean {
  return actor.type === 'user' && actor.isOperator && actor.via === 'session';
}
