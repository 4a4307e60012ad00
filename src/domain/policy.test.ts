// The policy module, table by table: every action, for every kind of actor (anonymous; a
// reporter's reply link; member and admin of the resource's organization or of another one;
// a coordinator organization's member; an operator; each by session, and by API token with and
// without the scope the action needs), against resources in its own and in another organization
// or case. The expectations are written out here, not derived from the module.
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { authorize, authorizeAny } from '../http/auth.ts';
import { Problem } from '../problem.ts';
import type { OrgKind, OrgRole } from '../store/schema.ts';
import type { ParticipantRole, Tlp } from '../store/schema-cases.ts';
import type { MembershipState } from './community.ts';
import {
  type Action,
  type Actor,
  type CaseGate,
  type CaseItemLabel,
  type CaseRelation,
  type CommunityRelation,
  caseCeiling,
  caseListScope,
  decide,
  mayGrantOperator,
  mayReadCaseItem,
  type Resource,
  type Scope,
  TOKEN_SCOPES,
  tlpWithin,
  type UserActor,
  visibleOrganizations,
} from './policy.ts';
import { orgTentAccess, type Tent, type TentSpec } from './tents.ts';

const ACTIONS = [
  'instance.read',
  'instance.admin',
  'org.list',
  'org.create',
  'org.read',
  'org.update',
  'user.list',
  'user.create',
  'user.read',
  'user.update',
  'account.manage',
  'audit.read',
  'audit.verify',
  'audit.checkpoints',
  'report.submit',
  'report.thread',
  'report.read',
  'report.triage',
  'case.create',
  'case.list',
  'case.read',
  'case.manage',
  'case.participate',
  'case.state',
  'case.statement',
  'community.list',
  'community.create',
  'community.read',
  'community.members',
  'community.manage',
  'community.apply',
  'community.sponsor',
  'community.accept',
  'product.read',
  'product.write',
  'case.affected',
  'webhook.instance',
  'webhook.org',
  'case.release',
  'case.trace',
  'case.cords',
  'case.cords.ack',
  'case.signal',
  'feed.manage',
  'account.pgpkeys',
  'org.pgpkeys.read',
  'org.pgpkeys.write',
  'case.purge',
] as const satisfies readonly Action[];
// Compile-time: a new Action fails type-checking until it is added to the tables below.
const everyAction: [Exclude<Action, (typeof ACTIONS)[number]>] extends [never] ? true : false = true;

/** The scope a token needs for each action; null: never with a token. */
const NEEDED_SCOPE: Record<Action, Scope | null> = {
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
  'account.manage': null,
  'audit.read': 'audit:read',
  'audit.verify': 'instance:admin',
  'audit.checkpoints': 'audit:read',
  'report.submit': 'reports:write',
  'report.thread': null,
  'report.read': 'reports:read',
  'report.triage': 'reports:write',
  'case.create': 'cases:write',
  'case.list': 'cases:read',
  'case.read': 'cases:read',
  'case.manage': 'cases:write',
  'case.participate': 'cases:write',
  'case.state': 'cases:write',
  'case.statement': 'cases:write',
  'community.list': 'communities:read',
  'community.create': 'instance:admin',
  'community.read': 'communities:read',
  'community.members': 'communities:read',
  'community.manage': 'communities:write',
  'community.apply': 'communities:write',
  'community.sponsor': 'communities:write',
  'community.accept': null,
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
  'account.pgpkeys': null,
  'org.pgpkeys.read': 'org:read',
  'org.pgpkeys.write': 'org:write',
  'case.purge': null,
};

const ORG_A = '00000000-0000-4000-8000-00000000000a'; // a vendor
const ORG_B = '00000000-0000-4000-8000-00000000000b'; // another vendor
const ORG_C = '00000000-0000-4000-8000-00000000000c'; // a coordinator (a CERT)
const ORG_O = '00000000-0000-4000-8000-0000000000ff'; // the operators' organization (kind "other")
const ORG_K = '00000000-0000-4000-8000-0000000000cc'; // the coordinator of the case in section 3
const USER_A = '00000000-0000-4000-8000-0000000000a1';
const USER_B = '00000000-0000-4000-8000-0000000000b1';
const USER_C = '00000000-0000-4000-8000-0000000000c1';
const USER_OP = '00000000-0000-4000-8000-0000000000f1';
const TARGET_A = '00000000-0000-4000-8000-0000000000a9'; // some other user of org A
const TARGET_B = '00000000-0000-4000-8000-0000000000b9'; // some other user of org B
const REPORT_1 = '00000000-0000-4000-8000-000000000e01';
const REPORT_2 = '00000000-0000-4000-8000-000000000e02';
const CASE_1 = '00000000-0000-4000-8000-000000000ca1';

type Outcome = 'allow' | 403 | 404;
const A: Outcome = 'allow';
const F: Outcome = 403; // denied, and the actor may know why (reveal)
const H: Outcome = 404; // denied as if the resource did not exist (hidden)

type OrgKey = 'A' | 'B' | 'C' | 'O';
const ORGS: Record<OrgKey, { id: string; kind: OrgKind; userId: string }> = {
  A: { id: ORG_A, kind: 'vendor', userId: USER_A },
  B: { id: ORG_B, kind: 'vendor', userId: USER_B },
  C: { id: ORG_C, kind: 'coordinator', userId: USER_C },
  O: { id: ORG_O, kind: 'other', userId: USER_OP },
};

function user(role: OrgRole, org: OrgKey, opts: { operator?: boolean } = {}): UserActor {
  const o = ORGS[org];
  return {
    type: 'user',
    userId: o.userId,
    orgId: o.id,
    orgRole: role,
    orgKind: o.kind,
    isOperator: opts.operator ?? false,
    via: 'session',
    scopes: null,
  };
}
const operator = (): UserActor => user('member', 'O', { operator: true });
const asToken = (actor: UserActor, scopes: readonly Scope[] | null): UserActor => ({ ...actor, via: 'token', scopes });
const anonymous: Actor = { type: 'anonymous' };
const reporter = (reportId = REPORT_1): Actor => ({ type: 'reporter', reportId });

function outcome(actor: Actor, action: Action, resource: Resource): Outcome {
  const d = decide(actor, action, resource);
  if (d.allow) return 'allow';
  expect(d.reason.length).toBeGreaterThan(0);
  return d.reveal ? 403 : 404;
}

/** What a route turns the decision into: authorize() for signed-in routes, authorizeAny() for open ones. */
function httpStatus(actor: Actor, action: Action, resource: Resource, via: 'authorize' | 'authorizeAny' = 'authorize'): number {
  try {
    const who =
      via === 'authorize' ? authorize({ actor } as FastifyRequest, action, resource) : authorizeAny(actor, action, resource);
    expect(who).toBe(actor);
    return 200;
  } catch (e) {
    expect(e).toBeInstanceOf(Problem);
    const p = e as Problem;
    // A hidden denial says nothing about what was asked for, nor why.
    if (p.status === 404) expect(p.detail).toBe('No such resource.');
    return p.status;
  }
}
const statusOf = (o: Outcome): number => (o === 'allow' ? 200 : o);

// --- the cases for signed-in sessions ----------------------------------------------------------------

interface SessionCase {
  name: string;
  actor: UserActor;
  action: Action;
  resource: Resource;
  expected: Outcome;
}

// 1. Instance, organizations, users, accounts and audit. Expected outcome for [member, admin,
// operator] against a resource in the actor's own organization, then in another. An operator's
// "own" and "other" are both organizations it does not belong to. For account.manage "own" is the
// actor's own account and "other" somebody else's.
const ORG_TABLE: Partial<Record<Action, { own: [Outcome, Outcome, Outcome]; other: [Outcome, Outcome, Outcome] }>> = {
  'instance.read': { own: [A, A, A], other: [A, A, A] },
  'instance.admin': { own: [F, F, A], other: [F, F, A] },
  'org.list': { own: [A, A, A], other: [A, A, A] },
  'org.create': { own: [F, F, A], other: [F, F, A] },
  'org.read': { own: [A, A, A], other: [H, H, A] },
  'org.update': { own: [F, A, A], other: [H, H, A] },
  'user.list': { own: [A, A, A], other: [H, H, A] },
  'user.create': { own: [F, A, A], other: [H, H, A] },
  'user.read': { own: [A, A, A], other: [H, H, A] },
  'user.update': { own: [F, A, A], other: [H, H, A] },
  'account.manage': { own: [A, A, A], other: [H, H, H] },
  'audit.read': { own: [F, A, A], other: [H, H, A] },
  'audit.verify': { own: [F, F, A], other: [F, F, A] },
  // Signed checkpoints hold counts and hashes only: every signed-in user.
  'audit.checkpoints': { own: [A, A, A], other: [A, A, A] },
  'feed.manage': { own: [F, F, A], other: [F, F, A] },
  // Purging a case destroys its keys: operators only, whoever coordinates it.
  'case.purge': { own: [F, F, A], other: [F, F, A] },
  // Products and SBOMs: every member of the organization, and operators.
  'product.read': { own: [A, A, A], other: [H, H, A] },
  'product.write': { own: [A, A, A], other: [H, H, A] },
  // Webhooks: instance-wide subscriptions are the operators'; an organization's are its admins'.
  'webhook.instance': { own: [F, F, A], other: [F, F, A] },
  'webhook.org': { own: [F, A, A], other: [H, H, A] },
  // OpenPGP keys: one's own; an organization's, read by its members, set by its admins and operators.
  'account.pgpkeys': { own: [A, A, A], other: [H, H, H] },
  'org.pgpkeys.read': { own: [A, A, A], other: [H, H, A] },
  'org.pgpkeys.write': { own: [F, A, A], other: [H, H, A] },
};

function orgResource(action: Action, orgId: string, userInOrg: string, accountOf: string): Resource {
  switch (action) {
    case 'org.read':
    case 'org.update':
    case 'user.list':
    case 'user.create':
    case 'product.read':
    case 'product.write':
    case 'webhook.org':
    case 'org.pgpkeys.read':
    case 'org.pgpkeys.write':
      return { type: 'organization', id: orgId };
    case 'user.read':
    case 'user.update':
      return { type: 'user', id: userInOrg, orgId };
    case 'account.manage':
    case 'account.pgpkeys':
      return { type: 'account', userId: accountOf };
    case 'audit.read':
      return { type: 'audit', orgId };
    default:
      return { type: 'instance' };
  }
}

const orgCases: SessionCase[] = Object.entries(ORG_TABLE).flatMap(([a, row]) => {
  const action = a as Action;
  const actors: Array<[string, UserActor, 0 | 1 | 2]> = [
    ['member of A', user('member', 'A'), 0],
    ['admin of A', user('admin', 'A'), 1],
    ['member of B', user('member', 'B'), 0],
    ['admin of B', user('admin', 'B'), 1],
    ['operator', operator(), 2],
  ];
  return actors.flatMap(([who, actor, col]) => {
    const own = actor.isOperator ? ORG_A : actor.orgId;
    const other = actor.isOperator ? ORG_B : actor.orgId === ORG_A ? ORG_B : ORG_A;
    const target = (org: string) => (org === ORG_A ? TARGET_A : TARGET_B);
    return [
      { rel: 'own', resource: orgResource(action, own, target(own), actor.userId), expected: row.own[col] },
      { rel: 'other', resource: orgResource(action, other, target(other), target(other)), expected: row.other[col] },
    ].map(({ rel, resource, expected }) => ({ name: `${action}: ${who}, ${rel}`, actor, action, resource, expected }));
  });
});

// 2. Reports and case creation: anyone submits; coordinator organizations triage and open cases
// (operators run the instance, not cases); a report's thread is for its reply link only.
const COORD_TABLE: Partial<Record<Action, { resource: Resource; expect: [Outcome, Outcome, Outcome, Outcome, Outcome] }>> = {
  //                                                 memA adA memC adC  op
  'report.submit': { resource: { type: 'instance' }, expect: [A, A, A, A, A] },
  'report.thread': { resource: { type: 'report', id: REPORT_1 }, expect: [H, H, H, H, H] },
  'report.read': { resource: { type: 'report', id: REPORT_1 }, expect: [H, H, A, A, H] },
  'report.triage': { resource: { type: 'report', id: REPORT_1 }, expect: [H, H, A, A, H] },
  'case.create': { resource: { type: 'instance' }, expect: [H, H, A, A, H] },
  'case.list': { resource: { type: 'instance' }, expect: [A, A, A, A, A] },
};
const coordCases: SessionCase[] = Object.entries(COORD_TABLE).flatMap(([a, row]) => {
  const action = a as Action;
  const actors: Array<[string, UserActor]> = [
    ['member of vendor A', user('member', 'A')],
    ['admin of vendor A', user('admin', 'A')],
    ['member of coordinator C', user('member', 'C')],
    ['admin of coordinator C', user('admin', 'C')],
    ['operator (not in a coordinator)', operator()],
  ];
  return actors.map(([who, actor], i) => ({
    name: `${action}: ${who}`,
    actor,
    action,
    resource: row.resource,
    expected: row.expect[i] as Outcome,
  }));
});

// 3. A case, by the actor organization's standing in it.
const CASE_ACTIONS = [
  'case.read',
  'case.manage',
  'case.participate',
  'case.state',
  'case.statement',
  'case.affected',
  // Parachute cords: set like manage; acknowledged and signalled like participate.
  'case.cords',
  'case.cords.ack',
  'case.signal',
] as const;
/** The cord columns follow manage and participate. */
const withCords = (e: readonly Outcome[]): Outcome[] => [...e, e[1] as Outcome, e[2] as Outcome, e[2] as Outcome];
const participant = (orgId: string, role: ParticipantRole, removed = false, tlpCeiling: Tlp = 'AMBER') => ({
  orgId,
  role,
  tlpCeiling,
  removed,
});
/** Relations for an actor of org X: [name, relation, expected for read, manage, participate, state, statement, affected]. */
const CASE_TABLE = (x: string): Array<[string, CaseRelation, [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome]]> => [
  ['coordinating it', { caseId: CASE_1, coordinatorOrgId: x, participant: null }, [A, A, A, A, A, A]],
  ['a vendor in it', { caseId: CASE_1, coordinatorOrgId: ORG_K, participant: participant(x, 'vendor') }, [A, F, A, A, A, F]],
  [
    'the reporter in it',
    { caseId: CASE_1, coordinatorOrgId: ORG_K, participant: participant(x, 'reporter') },
    [A, F, A, F, F, F],
  ],
  [
    'an "other" participant',
    { caseId: CASE_1, coordinatorOrgId: ORG_K, participant: participant(x, 'other') },
    [A, F, A, F, F, F],
  ],
  [
    'a co-coordinator (participant, not the case coordinator)',
    { caseId: CASE_1, coordinatorOrgId: ORG_K, participant: participant(x, 'coordinator') },
    [A, F, A, F, F, F],
  ],
  [
    'a removed vendor',
    { caseId: CASE_1, coordinatorOrgId: ORG_K, participant: participant(x, 'vendor', true) },
    [H, H, H, H, H, H],
  ],
  ['not in it', { caseId: CASE_1, coordinatorOrgId: ORG_K, participant: null }, [H, H, H, H, H, H]],
  [
    'given another organization’s participation',
    { caseId: CASE_1, coordinatorOrgId: ORG_K, participant: participant(x === ORG_B ? ORG_A : ORG_B, 'vendor') },
    [H, H, H, H, H, H],
  ],
];

// 3b. The same, through the case's community and tents: a tent not yet open hides the case from a
// participant (never from the coordinator); suspension and ejection hide it from everyone of that
// organization; an NDA version not yet accepted is a 403 that says which version to accept.
const NOW = new Date('2026-11-23T12:00:00Z');
const tent = (id: string, orgIds: string[], openedAt: Date | null, tlpCeiling: Tlp = 'AMBER'): Tent => ({
  spec: {
    id,
    name: id,
    members: { orgIds, tiers: [] },
    opens: { kind: 'immediately' },
    tlpCeiling,
    artifacts: 'all',
  } as TentSpec,
  state: { openedAt },
});
const gate = (x: string, o: { open?: boolean; standing?: MembershipState | null; nda?: boolean }): CaseGate => ({
  tents: orgTentAccess(x, [], [tent('t', [x], o.open === false ? null : NOW)], NOW, {
    ejected: o.standing === 'ejected',
    suspended: o.standing === 'suspended',
  }),
  standing: o.standing ?? null,
  ndaPending: o.nda ? { communityId: 'c', version: 2, hash: 'a'.repeat(64) } : null,
});
const GATED_TABLE = (x: string): Array<[string, CaseRelation, [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome]]> => {
  const vendor = (g: CaseGate): CaseRelation => ({
    caseId: CASE_1,
    coordinatorOrgId: ORG_K,
    participant: participant(x, 'vendor'),
    gate: g,
  });
  const coord = (g: CaseGate): CaseRelation => ({ caseId: CASE_1, coordinatorOrgId: x, participant: null, gate: g });
  return [
    ['a vendor whose tent is open', vendor(gate(x, { standing: 'admitted' })), [A, F, A, A, A, F]],
    ['a vendor whose tent is not open yet', vendor(gate(x, { open: false, standing: 'admitted' })), [H, H, H, H, H, H]],
    ['a vendor not in the community, tent open', vendor(gate(x, {})), [A, F, A, A, A, F]],
    ['a vendor whose organization is suspended', vendor(gate(x, { standing: 'suspended' })), [H, H, H, H, H, H]],
    ['a vendor whose organization was ejected', vendor(gate(x, { standing: 'ejected' })), [H, H, H, H, H, H]],
    ['a vendor who has not accepted the current NDA', vendor(gate(x, { standing: 'admitted', nda: true })), [F, F, F, F, F, F]],
    ['coordinating it, no tent of its own open', coord(gate(x, { open: false, standing: 'admitted' })), [A, A, A, A, A, A]],
    ['coordinating it, organization ejected', coord(gate(x, { standing: 'ejected' })), [H, H, H, H, H, H]],
    ['coordinating it, NDA not accepted', coord(gate(x, { standing: 'admitted', nda: true })), [F, F, F, F, F, F]],
  ];
};
const gatedCases: SessionCase[] = (
  [
    ['member of A', user('member', 'A')],
    ['admin of C', user('admin', 'C')],
  ] as Array<[string, UserActor]>
).flatMap(([who, actor]) =>
  GATED_TABLE(actor.orgId).flatMap(([rel, relation, expect]) =>
    CASE_ACTIONS.map((action, i) => ({
      name: `${action}: ${who}, ${rel}`,
      actor,
      action,
      resource: { type: 'case', relation } as Resource,
      expected: withCords(expect)[i] as Outcome,
    })),
  ),
);

// 4. Communities, by the actor's standing: steward or not, and its organization's membership.
const COMMUNITY_ACTIONS = [
  'community.read',
  'community.members',
  'community.manage',
  'community.apply',
  'community.sponsor',
  'community.accept',
] as const;
const community = (isSteward: boolean, orgState: MembershipState | null): Resource => ({
  type: 'community',
  relation: { communityId: 'c', isSteward, orgState } satisfies CommunityRelation,
});
/** [who, standing, expected for read, members, manage, apply, sponsor, accept]. */
const COMMUNITY_TABLE: Array<[string, UserActor, Resource, [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome]]> = [
  ['member of an outside org', user('member', 'A'), community(false, null), [A, F, F, F, F, A]],
  ['admin of an outside org', user('admin', 'A'), community(false, null), [A, F, F, A, F, A]],
  ['admin of an applicant', user('admin', 'A'), community(false, 'applied'), [A, F, F, A, F, A]],
  ['member of an admitted org', user('member', 'A'), community(false, 'admitted'), [A, A, F, F, F, A]],
  ['admin of an admitted org', user('admin', 'A'), community(false, 'admitted'), [A, A, F, A, A, A]],
  ['admin of a suspended org', user('admin', 'A'), community(false, 'suspended'), [A, F, F, A, F, A]],
  ['admin of an ejected org', user('admin', 'A'), community(false, 'ejected'), [A, F, F, A, F, A]],
  ['a steward (member) of an outside org', user('member', 'C'), community(true, null), [A, A, A, F, F, A]],
  ['a steward (admin) of an admitted org', user('admin', 'C'), community(true, 'admitted'), [A, A, A, A, A, A]],
  ['an operator who is no steward', operator(), community(false, null), [A, F, F, F, F, A]],
];
const communityCases: SessionCase[] = [
  ...COMMUNITY_TABLE.flatMap(([who, actor, resource, expect]) =>
    COMMUNITY_ACTIONS.map((action, i) => ({
      name: `${action}: ${who}`,
      actor,
      action,
      resource,
      expected: expect[i] as Outcome,
    })),
  ),
  ...(
    [
      ['member of A', user('member', 'A'), [A, F]],
      ['admin of C', user('admin', 'C'), [A, F]],
      ['operator', operator(), [A, A]],
    ] as Array<[string, UserActor, [Outcome, Outcome]]>
  ).flatMap(([who, actor, [list, create]]) => [
    {
      name: `community.list: ${who}`,
      actor,
      action: 'community.list' as Action,
      resource: { type: 'instance' } as Resource,
      expected: list,
    },
    {
      name: `community.create: ${who}`,
      actor,
      action: 'community.create' as Action,
      resource: { type: 'instance' } as Resource,
      expected: create,
    },
  ]),
];

const caseCases: SessionCase[] = (
  [
    ['member of A', user('member', 'A')],
    ['admin of A', user('admin', 'A')],
    ['member of C', user('member', 'C')],
    ['operator', operator()],
  ] as Array<[string, UserActor]>
).flatMap(([who, actor]) =>
  CASE_TABLE(actor.orgId).flatMap(([rel, relation, expect]) =>
    CASE_ACTIONS.map((action, i) => ({
      name: `${action}: ${who}, ${rel}`,
      actor,
      action,
      resource: { type: 'case', relation } as Resource,
      expected: withCords(expect)[i] as Outcome,
    })),
  ),
);

// Releasing a case is the coordinator's, exactly as managing it is.
const releaseCases = caseCases
  .filter((c) => c.action === 'case.manage')
  .map((c) => ({ ...c, name: c.name.replace('case.manage', 'case.release'), action: 'case.release' as Action }));

// Leak tracing names an organization: the case's coordinator and operators, nobody else.
const traceRel = (p: CaseRelation['participant']): Resource => ({
  type: 'case',
  relation: { caseId: CASE_1, coordinatorOrgId: ORG_C, participant: p },
});
const traceCases: SessionCase[] = (
  [
    ['the coordinator', user('member', 'C'), traceRel(null), A],
    ['an operator not in the case', operator(), traceRel(null), A],
    ['a vendor in the case', user('admin', 'A'), traceRel(participant(ORG_A, 'vendor')), F],
    ['a co-coordinator participant', user('admin', 'A'), traceRel(participant(ORG_A, 'coordinator')), F],
    ['a removed vendor', user('admin', 'A'), traceRel(participant(ORG_A, 'vendor', true)), H],
    ['an outsider', user('admin', 'B'), traceRel(null), H],
  ] as Array<[string, UserActor, Resource, Outcome]>
).map(([who, actor, resource, expected]) => ({ name: `case.trace: ${who}`, actor, action: 'case.trace', resource, expected }));

const SESSION_CASES = [
  ...orgCases,
  ...coordCases,
  ...caseCases,
  ...releaseCases,
  ...gatedCases,
  ...communityCases,
  ...traceCases,
];

describe('the tables are complete', () => {
  it('cover every action, and every token scope is needed by some action', () => {
    expect(everyAction).toBe(true);
    expect(new Set(ACTIONS).size).toBe(ACTIONS.length);
    const covered = new Set(SESSION_CASES.map((c) => c.action));
    expect(ACTIONS.filter((a) => !covered.has(a))).toEqual([]);
    const used = new Set(Object.values(NEEDED_SCOPE).filter((s) => s !== null));
    const UNUSED: Scope[] = [];
    expect([...used, ...UNUSED].sort()).toEqual([...TOKEN_SCOPES].sort());
  });
});

describe('session actors', () => {
  it.each(SESSION_CASES.map((c) => ({ ...c, name: `${c.name} → ${c.expected}` })))(
    '$name',
    ({ actor, action, resource, expected }) => {
      expect(outcome(actor, action, resource)).toBe(expected);
      expect(httpStatus(actor, action, resource)).toBe(statusOf(expected));
    },
  );

  it('operators may act on their own organization too', () => {
    const op = operator();
    for (const action of Object.keys(ORG_TABLE) as Action[]) {
      expect(outcome(op, action, orgResource(action, ORG_O, USER_OP, USER_OP)), action).toBe('allow');
    }
  });

  it('a member may manage their own account but no colleague’s, and neither may their admin', () => {
    expect(outcome(user('member', 'A'), 'account.manage', { type: 'account', userId: USER_A })).toBe('allow');
    expect(outcome(user('member', 'A'), 'account.manage', { type: 'account', userId: TARGET_A })).toBe(404);
    expect(outcome(user('admin', 'A'), 'account.manage', { type: 'account', userId: TARGET_A })).toBe(404);
  });

  it('a resource of the wrong type is hidden, even from an operator', () => {
    const caseRes: Resource = { type: 'case', relation: { caseId: CASE_1, coordinatorOrgId: ORG_A, participant: null } };
    const wrong: Array<[Action, Resource]> = [
      ['org.read', { type: 'user', id: TARGET_A, orgId: ORG_A }],
      ['org.update', { type: 'audit', orgId: ORG_A }],
      ['user.list', { type: 'instance' }],
      ['user.create', { type: 'account', userId: USER_A }],
      ['user.read', { type: 'organization', id: ORG_A }],
      ['user.update', caseRes],
      ['account.manage', { type: 'user', id: USER_A, orgId: ORG_A }],
      ['audit.read', { type: 'organization', id: ORG_A }],
      ['webhook.org', { type: 'instance' }],
      ...CASE_ACTIONS.map((a): [Action, Resource] => [a, { type: 'organization', id: ORG_A }]),
      ...COMMUNITY_ACTIONS.map((a): [Action, Resource] => [a, caseRes]),
      ['case.read', { type: 'report', id: REPORT_1 }],
    ];
    for (const actor of [user('member', 'A'), user('admin', 'A'), user('admin', 'C'), operator()]) {
      for (const [action, resource] of wrong) expect(outcome(actor, action, resource), `${action} ${resource.type}`).toBe(404);
    }
  });
});

// --- tokens: the session's rights when the token has the scope (never for session-only actions);
// otherwise a 403 that names the missing scope, decided before the resource is looked at. -------------

const tokenVariants = (action: Action): Array<{ label: string; scopes: Scope[] }> => {
  const needed = NEEDED_SCOPE[action];
  const all = [...TOKEN_SCOPES];
  return [
    { label: 'all scopes', scopes: all },
    { label: 'only the needed scope', scopes: needed ? [needed] : [] },
    { label: 'every scope but the needed one', scopes: all.filter((s) => s !== needed) },
    { label: 'no scope', scopes: [] },
  ];
};

const TOKEN_CASES = SESSION_CASES.flatMap((c) =>
  tokenVariants(c.action).map(({ label, scopes }) => {
    const needed = NEEDED_SCOPE[c.action];
    const hasScope = needed !== null && scopes.includes(needed);
    const expected: Outcome = hasScope ? c.expected : F;
    return { ...c, actor: asToken(c.actor, scopes), hasScope, expected, name: `${c.name}, by token (${label}) → ${expected}` };
  }),
);

describe('token actors', () => {
  it.each(TOKEN_CASES)('$name', ({ actor, action, resource, hasScope, expected }) => {
    expect(outcome(actor, action, resource)).toBe(expected);
    expect(httpStatus(actor, action, resource)).toBe(statusOf(expected));
    if (!hasScope) {
      // The reason names the missing scope (or that a session is needed), never the resource.
      const d = decide(actor, action, resource);
      expect(d.allow ? '' : d.reason).toMatch(NEEDED_SCOPE[action] === null ? /session|reply link/ : /scope/);
    }
  });

  it('can never manage an account, not even its own user’s, whatever its scopes', () => {
    for (const base of [user('member', 'A'), user('admin', 'A'), user('admin', 'C'), operator()]) {
      const actor = asToken(base, [...TOKEN_SCOPES]);
      const d = decide(actor, 'account.manage', { type: 'account', userId: actor.userId });
      expect(d).toMatchObject({ allow: false, reveal: true });
      expect(httpStatus(actor, 'account.manage', { type: 'account', userId: actor.userId })).toBe(403);
    }
  });

  it('with a null scope list (malformed) is denied everything, not treated as a session', () => {
    const actor = asToken(operator(), null);
    for (const c of SESSION_CASES.filter((x) => x.actor.isOperator)) {
      expect(outcome(actor, c.action, c.resource), c.name).toBe(403);
    }
  });
});

// --- actors that are not signed-in users -----------------------------------------------------------

describe('anonymous', () => {
  const resources = SESSION_CASES.filter((c, i, all) => all.findIndex((x) => x.action === c.action) === i);
  it.each(resources.map((c) => [c.action, c.resource] as const))('%s', (action, resource) => {
    const expected: Outcome = action === 'report.submit' ? A : F; // anyone may report a vulnerability
    expect(outcome(anonymous, action, resource)).toBe(expected);
    // Signed-in routes answer 401 whatever the policy says; open routes 401 for a revealed denial.
    expect(httpStatus(anonymous, action, resource)).toBe(401);
    expect(httpStatus(anonymous, action, resource, 'authorizeAny')).toBe(expected === A ? 200 : 401);
  });
});

describe('a reporter’s reply link', () => {
  it('opens its own report’s thread, and may submit reports', () => {
    expect(outcome(reporter(REPORT_1), 'report.thread', { type: 'report', id: REPORT_1 })).toBe('allow');
    expect(httpStatus(reporter(REPORT_1), 'report.thread', { type: 'report', id: REPORT_1 }, 'authorizeAny')).toBe(200);
    expect(outcome(reporter(REPORT_1), 'report.submit', { type: 'instance' })).toBe('allow');
  });

  it('does not open another report, which looks like no report at all', () => {
    expect(outcome(reporter(REPORT_1), 'report.thread', { type: 'report', id: REPORT_2 })).toBe(404);
    expect(httpStatus(reporter(REPORT_1), 'report.thread', { type: 'report', id: REPORT_2 }, 'authorizeAny')).toBe(404);
  });

  const others = SESSION_CASES.filter((c) => !['report.submit', 'report.thread'].includes(c.action));
  it.each(others.map((c) => [c.name, c.action, c.resource] as const))(
    '%s: hidden, and 401 on signed-in routes',
    (_n, action, resource) => {
      expect(outcome(reporter(REPORT_1), action, resource)).toBe(404);
      expect(httpStatus(reporter(REPORT_1), action, resource)).toBe(401);
      expect(httpStatus(reporter(REPORT_1), action, resource, 'authorizeAny')).toBe(404);
    },
  );

  it('is not a report reader through triage, for the report it belongs to either', () => {
    expect(outcome(reporter(REPORT_1), 'report.triage', { type: 'report', id: REPORT_1 })).toBe(404);
  });
});

// --- scope helpers ---------------------------------------------------------------------------------

describe('visibleOrganizations()', () => {
  it('anonymous and a reply link see none', () => {
    expect(visibleOrganizations(anonymous)).toEqual({ all: false, ids: [] });
    expect(visibleOrganizations(reporter())).toEqual({ all: false, ids: [] });
  });
  it.each([
    ['member of A', user('member', 'A'), ORG_A],
    ['admin of A', user('admin', 'A'), ORG_A],
    ['member of B', user('member', 'B'), ORG_B],
    ['admin of B', user('admin', 'B'), ORG_B],
    ['token of admin of A', asToken(user('admin', 'A'), [...TOKEN_SCOPES]), ORG_A],
  ] as const)('%s sees only its own organization', (_name, actor, orgId) => {
    expect(visibleOrganizations(actor)).toEqual({ all: false, ids: [orgId] });
  });
  it('a coordinator organization sees the directory of all organizations (it invites them)', () => {
    expect(visibleOrganizations(user('member', 'C'))).toEqual({ all: true });
    expect(visibleOrganizations(asToken(user('admin', 'C'), ['org:read']))).toEqual({ all: true });
  });
  it('an operator sees all, by session or token', () => {
    expect(visibleOrganizations(operator())).toEqual({ all: true });
    expect(visibleOrganizations(asToken(operator(), ['org:read']))).toEqual({ all: true });
  });
});

describe('caseListScope()', () => {
  it('is the actor’s organization for users (operators too), and nothing otherwise', () => {
    expect(caseListScope(user('member', 'A'))).toEqual({ orgId: ORG_A });
    expect(caseListScope(user('admin', 'C'))).toEqual({ orgId: ORG_C });
    expect(caseListScope(operator())).toEqual({ orgId: ORG_O });
    expect(caseListScope(asToken(user('member', 'B'), ['cases:read']))).toEqual({ orgId: ORG_B });
    expect(caseListScope(anonymous)).toBeNull();
    expect(caseListScope(reporter())).toBeNull();
  });
});

describe('mayGrantOperator()', () => {
  it.each([
    ['anonymous', anonymous, false],
    ['a reply link', reporter(), false],
    ['member', user('member', 'A'), false],
    ['admin', user('admin', 'A'), false],
    ['admin of a coordinator', user('admin', 'C'), false],
    ['operator (session)', operator(), true],
    ['operator (token with every scope)', asToken(operator(), [...TOKEN_SCOPES]), false],
    ['admin (token with every scope)', asToken(user('admin', 'A'), [...TOKEN_SCOPES]), false],
  ] as const)('%s → %s', (_name, actor, expected) => {
    expect(mayGrantOperator(actor)).toBe(expected);
  });
});

describe('tlpWithin()', () => {
  const ORDER: Tlp[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
  it.each(ORDER.flatMap((label, i) => ORDER.map((ceiling, j) => [label, ceiling, i <= j] as const)))(
    '%s within %s → %s',
    (label, ceiling, expected) => {
      expect(tlpWithin(label, ceiling)).toBe(expected);
    },
  );
});

describe('mayReadCaseItem()', () => {
  const rel = (p: ReturnType<typeof participant> | null, coordinatorOrgId = ORG_C): CaseRelation => ({
    caseId: CASE_1,
    coordinatorOrgId,
    participant: p,
  });
  const item = (tlp: Tlp, audience: CaseItemLabel['audience'] = 'all', extra: Partial<CaseItemLabel> = {}): CaseItemLabel => ({
    tlp,
    audience,
    audienceOrgId: null,
    authorOrgId: ORG_C,
    ...extra,
  });
  const memberA = user('member', 'A');
  const vendorA = rel(participant(ORG_A, 'vendor', false, 'AMBER'));
  const tented = (tents: Tent[]): CaseRelation => ({
    ...vendorA,
    gate: { tents: orgTentAccess(ORG_A, [], tents, NOW, { ejected: false, suspended: false }), standing: null, ndaPending: null },
  });
  const cases: Array<[string, Actor, CaseRelation, CaseItemLabel, boolean]> = [
    ['the coordinator reads a RED coordinator-only item', user('member', 'C'), rel(null), item('RED', 'coordinator'), true],
    [
      'the coordinator reads an item addressed to a vendor',
      user('member', 'C'),
      rel(null),
      item('RED', 'org', { audienceOrgId: ORG_A }),
      true,
    ],
    ['a vendor reads an all-participants item within its ceiling', memberA, vendorA, item('AMBER'), true],
    ['a vendor reads a CLEAR item', memberA, vendorA, item('CLEAR'), true],
    ['a vendor does not read above its ceiling (AMBER+STRICT > AMBER)', memberA, vendorA, item('AMBER+STRICT'), false],
    ['a vendor does not read above its ceiling (RED > AMBER)', memberA, vendorA, item('RED'), false],
    ['a vendor reads an item addressed to it', memberA, vendorA, item('GREEN', 'org', { audienceOrgId: ORG_A }), true],
    [
      'a vendor does not read an item addressed to another vendor',
      memberA,
      vendorA,
      item('GREEN', 'org', { audienceOrgId: ORG_B }),
      false,
    ],
    ['a vendor does not read a coordinator-only item', memberA, vendorA, item('CLEAR', 'coordinator'), false],
    [
      'a vendor reads what it wrote, whatever the label',
      memberA,
      vendorA,
      item('RED', 'coordinator', { authorOrgId: ORG_A }),
      true,
    ],
    [
      'a removed vendor reads nothing, not even what it wrote',
      memberA,
      rel(participant(ORG_A, 'vendor', true, 'RED')),
      item('CLEAR', 'all', { authorOrgId: ORG_A }),
      false,
    ],
    ['an outsider reads nothing', user('admin', 'B'), rel(null), item('CLEAR'), false],
    ['an operator outside the case reads nothing', operator(), rel(null), item('CLEAR'), false],
    ['a relation naming another organization reads nothing', user('admin', 'B'), vendorA, item('CLEAR'), false],
    ['anonymous reads nothing', anonymous, vendorA, item('CLEAR'), false],
    ['a reply link reads nothing here', reporter(), vendorA, item('CLEAR'), false],
    ['a token of a vendor reads like its session', asToken(memberA, ['cases:read']), vendorA, item('GREEN'), true],
    ['a vendor in an open GREEN tent reads GREEN', memberA, tented([tent('t', [ORG_A], NOW, 'GREEN')]), item('GREEN'), true],
    [
      'a vendor in an open GREEN tent does not read AMBER',
      memberA,
      tented([tent('t', [ORG_A], NOW, 'GREEN')]),
      item('AMBER'),
      false,
    ],
    ['a vendor whose tent is closed reads nothing', memberA, tented([tent('t', [ORG_A], null, 'RED')]), item('CLEAR'), false],
    ['a vendor not in the open tent reads nothing', memberA, tented([tent('t', [ORG_B], NOW, 'RED')]), item('CLEAR'), false],
    [
      'a vendor reads only the artifacts its tent lists',
      memberA,
      tented([{ ...tent('t', [ORG_A], NOW, 'RED'), spec: { ...tent('t', [ORG_A], NOW).spec, artifacts: ['x'] } }]),
      item('CLEAR', 'all', { artifactId: 'y' }),
      false,
    ],
    [
      'a vendor reads an artifact its tent lists',
      memberA,
      tented([{ ...tent('t', [ORG_A], NOW, 'RED'), spec: { ...tent('t', [ORG_A], NOW).spec, artifacts: ['x'] } }]),
      item('CLEAR', 'all', { artifactId: 'x' }),
      true,
    ],
    [
      'an ejected vendor reads nothing',
      memberA,
      { ...vendorA, gate: gate(ORG_A, { standing: 'ejected' }) },
      item('CLEAR'),
      false,
    ],
    [
      'a vendor with the NDA pending reads nothing',
      memberA,
      { ...vendorA, gate: gate(ORG_A, { nda: true }) },
      item('CLEAR'),
      false,
    ],
    [
      'the coordinator with the NDA pending reads nothing',
      user('member', 'C'),
      { ...rel(null), gate: gate(ORG_C, { nda: true }) },
      item('CLEAR'),
      false,
    ],
  ];
  it.each(cases)('%s', (_name, actor, relation, label, expected) => {
    expect(mayReadCaseItem(actor, relation, label)).toBe(expected);
  });
});

describe('caseCeiling()', () => {
  const vendorA = (tents: Tent[] | null, ceiling: Tlp = 'AMBER'): CaseRelation => ({
    caseId: CASE_1,
    coordinatorOrgId: ORG_C,
    participant: participant(ORG_A, 'vendor', false, ceiling),
    gate: {
      tents: tents && orgTentAccess(ORG_A, [], tents, NOW, { ejected: false, suspended: false }),
      standing: null,
      ndaPending: null,
    },
  });
  it('is RED for the coordinator, the participant ceiling without tents, and the lower of both with tents', () => {
    expect(caseCeiling(user('member', 'C'), vendorA(null))).toBe('RED');
    expect(caseCeiling(user('member', 'A'), vendorA(null))).toBe('AMBER');
    expect(caseCeiling(user('member', 'A'), vendorA([tent('t', [ORG_A], NOW, 'GREEN')]))).toBe('GREEN');
    expect(caseCeiling(user('member', 'A'), vendorA([tent('t', [ORG_A], NOW, 'RED')]))).toBe('AMBER');
    expect(caseCeiling(user('member', 'A'), vendorA([tent('t', [ORG_A], null, 'RED')]))).toBeNull();
    expect(caseCeiling(user('member', 'B'), vendorA(null))).toBeNull();
    expect(caseCeiling(anonymous, vendorA(null))).toBeNull();
  });
});

describe('case.trace by token and anonymously', () => {
  const resource: Resource = { type: 'case', relation: { caseId: CASE_1, coordinatorOrgId: ORG_C, participant: null } };
  it('needs cases:write on a token, and a signed-in caller', () => {
    expect(outcome(asToken(user('member', 'C'), ['cases:read']), 'case.trace', resource)).toBe(F);
    expect(outcome(asToken(user('member', 'C'), ['cases:write']), 'case.trace', resource)).toBe(A);
    expect(outcome(anonymous, 'case.trace', resource)).toBe(F);
  });
});
