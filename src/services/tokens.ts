// API tokens for automation: shown once, stored as SHA-256, scoped, expiring, revocable.
import type { AppContext, RequestMeta } from '../context.ts';
import { randomToken, sha256Hex } from '../crypto/secrets.ts';
import type { Actor, Scope } from '../domain/policy.ts';
import { problems } from '../problem.ts';
import { auditSelf } from './auth.ts';

export const TOKEN_PREFIX = 'vlg_';
export const MAX_TOKEN_DAYS = 366;

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function createToken(
  ctx: AppContext,
  meta: RequestMeta,
  userId: string,
  input: { name: string; scopes: Scope[]; expiresInDays: number },
): Promise<{ token: string; view: TokenView }> {
  const now = ctx.clock.now();
  const token = TOKEN_PREFIX + randomToken(32);
  const expiresAt = new Date(now.getTime() + input.expiresInDays * 86_400_000);
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('api_tokens')
      .values({
        user_id: userId,
        name: input.name,
        token_hash: sha256Hex(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        scopes: [...new Set(input.scopes)],
        created_at: now,
        expires_at: expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await auditSelf(ctx, trx, meta, 'token.create', 'api_token', row.id, { name: row.name, scopes: row.scopes });
    return { token, view: toView(row) };
  });
}

export async function listTokens(ctx: AppContext, userId: string): Promise<TokenView[]> {
  const rows = await ctx.db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toView);
}

export async function revokeToken(ctx: AppContext, meta: RequestMeta, userId: string, tokenId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: ctx.clock.now() })
      .where('id', '=', tokenId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw problems.notFound('token');
    await auditSelf(ctx, trx, meta, 'token.revoke', 'api_token', tokenId);
  });
}

/** Resolves a bearer token to its actor; nothing for unknown, expired, revoked or disabled. */
export async function resolveToken(ctx: AppContext, token: string): Promise<Actor | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const now = ctx.clock.now();
  const row = await ctx.db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .innerJoin('organizations as o', 'o.id', 'u.org_id')
    .select([
      't.id',
      't.scopes',
      't.expires_at',
      't.revoked_at',
      't.last_used_at',
      'u.id as user_id',
      'u.org_id',
      'u.org_role',
      'u.is_operator',
      'u.disabled_at',
      'o.kind as org_kind',
    ])
    .where('t.token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  if (!row || row.revoked_at || row.disabled_at || row.expires_at.getTime() <= now.getTime()) return undefined;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
    await ctx.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return {
    type: 'user',
    userId: row.user_id,
    orgId: row.org_id,
    orgRole: row.org_role,
    orgKind: row.org_kind,
    isOperator: row.is_operator,
    via: 'token',
    scopes: row.scopes as Scope[],
  };
}

function toView(r: {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): TokenView {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}
