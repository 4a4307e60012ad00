// Organizations and their users. Callers have already been authorized by the policy module;
// listing queries take the policy's scope so they return only what the actor may see.
import type { AppContext, RequestMeta } from '../context.ts';
import { actorIds } from '../context.ts';
import { hashPassword } from '../crypto/passwords.ts';
import { visibleOrganizations } from '../domain/policy.ts';
import { problems } from '../problem.ts';
import { appendAudit } from '../store/audit.ts';
import type { OrgKind, OrgRole } from '../store/schema.ts';

export interface OrgView {
  id: string;
  slug: string;
  name: string;
  kind: OrgKind;
  securityTxtUrl: string | null;
  country: string | null;
  createdAt: Date;
}

export interface UserView {
  id: string;
  orgId: string;
  email: string;
  displayName: string;
  orgRole: OrgRole;
  isOperator: boolean;
  totpEnabled: boolean;
  disabled: boolean;
  createdAt: Date;
}

const orgView = (r: {
  id: string;
  slug: string;
  name: string;
  kind: OrgKind;
  security_txt_url: string | null;
  country: string | null;
  created_at: Date;
}): OrgView => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  kind: r.kind,
  securityTxtUrl: r.security_txt_url,
  country: r.country,
  createdAt: r.created_at,
});

export async function createOrganization(
  ctx: AppContext,
  meta: RequestMeta,
  input: {
    slug: string;
    name: string;
    kind: OrgKind;
    securityTxtUrl?: string | null | undefined;
    country?: string | null | undefined;
  },
): Promise<OrgView> {
  return ctx.db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('organizations').select('id').where('slug', '=', input.slug).executeTakeFirst();
    if (clash) throw problems.conflict(`An organization with slug "${input.slug}" exists.`);
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('organizations')
      .values({
        slug: input.slug,
        name: input.name,
        kind: input.kind,
        security_txt_url: input.securityTxtUrl ?? null,
        country: input.country ?? null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      at: now,
      ...actorIds(meta),
      subjectOrgId: row.id,
      action: 'org.create',
      objectType: 'organization',
      objectId: row.id,
      requestId: meta.requestId,
      details: { slug: row.slug, name: row.name, kind: row.kind },
    });
    return orgView(row);
  });
}

export async function listOrganizations(ctx: AppContext, meta: RequestMeta): Promise<OrgView[]> {
  const scope = visibleOrganizations(meta.actor);
  if (!scope.all && scope.ids.length === 0) return [];
  let q = ctx.db.selectFrom('organizations').selectAll().orderBy('name');
  if (!scope.all) q = q.where('id', 'in', scope.ids);
  return (await q.execute()).map(orgView);
}

export async function getOrganization(ctx: AppContext, id: string): Promise<OrgView | undefined> {
  const row = await ctx.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? orgView(row) : undefined;
}

export async function updateOrganization(
  ctx: AppContext,
  meta: RequestMeta,
  id: string,
  patch: { name?: string | undefined; securityTxtUrl?: string | null | undefined; country?: string | null | undefined },
): Promise<OrgView> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const row = await trx
      .updateTable('organizations')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.securityTxtUrl !== undefined ? { security_txt_url: patch.securityTxtUrl } : {}),
        ...(patch.country !== undefined ? { country: patch.country } : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw problems.notFound('organization');
    await appendAudit(trx, {
      at: now,
      ...actorIds(meta),
      subjectOrgId: id,
      action: 'org.update',
      objectType: 'organization',
      objectId: id,
      requestId: meta.requestId,
      details: { fields: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined) },
    });
    return orgView(row);
  });
}

const userColumns = [
  'id',
  'org_id',
  'email',
  'display_name',
  'org_role',
  'is_operator',
  'totp_enabled_at',
  'disabled_at',
  'created_at',
] as const;

type UserRow = {
  id: string;
  org_id: string;
  email: string;
  display_name: string;
  org_role: OrgRole;
  is_operator: boolean;
  totp_enabled_at: Date | null;
  disabled_at: Date | null;
  created_at: Date;
};

const userView = (r: UserRow): UserView => ({
  id: r.id,
  orgId: r.org_id,
  email: r.email,
  displayName: r.display_name,
  orgRole: r.org_role,
  isOperator: r.is_operator,
  totpEnabled: r.totp_enabled_at !== null,
  disabled: r.disabled_at !== null,
  createdAt: r.created_at,
});

export async function createUser(
  ctx: AppContext,
  meta: RequestMeta,
  input: {
    orgId: string;
    email: string;
    displayName: string;
    orgRole: OrgRole;
    password?: string | undefined;
    isOperator?: boolean | undefined;
  },
): Promise<UserView> {
  // Hash before the transaction: PGlite has one session, so keep transactions short.
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return ctx.db.transaction().execute(async (trx) => {
    const clash = await trx
      .selectFrom('users')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase()))
      .executeTakeFirst();
    if (clash) throw problems.conflict('A user with this email exists.');
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('users')
      .values({
        org_id: input.orgId,
        email: input.email,
        display_name: input.displayName,
        org_role: input.orgRole,
        is_operator: input.isOperator ?? false,
        password_hash: passwordHash,
        created_at: now,
        updated_at: now,
      })
      .returning(userColumns)
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      at: now,
      ...actorIds(meta),
      subjectOrgId: input.orgId,
      action: 'user.create',
      objectType: 'user',
      objectId: row.id,
      requestId: meta.requestId,
      details: { email: row.email, orgRole: row.org_role, isOperator: row.is_operator },
    });
    return userView(row);
  });
}

export async function listUsers(ctx: AppContext, orgId: string): Promise<UserView[]> {
  const rows = await ctx.db.selectFrom('users').select(userColumns).where('org_id', '=', orgId).orderBy('email').execute();
  return rows.map(userView);
}

export async function getUser(ctx: AppContext, id: string): Promise<UserView | undefined> {
  const row = await ctx.db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
  return row ? userView(row) : undefined;
}

/** Changes a user's role or disables them; disabling ends their sessions at once. */
export async function updateUser(
  ctx: AppContext,
  meta: RequestMeta,
  id: string,
  patch: {
    displayName?: string | undefined;
    orgRole?: OrgRole | undefined;
    disabled?: boolean | undefined;
    isOperator?: boolean | undefined;
  },
): Promise<UserView> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const row = await trx
      .updateTable('users')
      .set({
        ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
        ...(patch.orgRole !== undefined ? { org_role: patch.orgRole } : {}),
        ...(patch.isOperator !== undefined ? { is_operator: patch.isOperator } : {}),
        ...(patch.disabled !== undefined ? { disabled_at: patch.disabled ? now : null } : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .returning(userColumns)
      .executeTakeFirst();
    if (!row) throw problems.notFound('user');
    if (patch.disabled) await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
    await appendAudit(trx, {
      at: now,
      ...actorIds(meta),
      subjectOrgId: row.org_id,
      action: 'user.update',
      objectType: 'user',
      objectId: id,
      requestId: meta.requestId,
      details: { ...patch },
    });
    return userView(row);
  });
}
