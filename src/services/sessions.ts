// Browser sessions: a random secret in an HttpOnly cookie; the database keeps its SHA-256,
// a CSRF token, and idle and absolute expiry. Every process reads the same table.
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import { randomToken, sha256Hex } from '../crypto/secrets.ts';
import type { Actor } from '../domain/policy.ts';
import type { DB } from '../store/schema.ts';

export interface NewSession {
  secret: string;
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(
  ctx: AppContext,
  trx: Kysely<DB>,
  userId: string,
  info: { ip?: string | undefined; userAgent?: string | undefined; mfa: boolean },
): Promise<NewSession> {
  const now = ctx.clock.now();
  const secret = randomToken(32);
  const id = sha256Hex(secret);
  const csrfToken = randomToken(24);
  const expiresAt = new Date(now.getTime() + ctx.config.sessionMaxHours * 3600_000);
  await trx
    .insertInto('sessions')
    .values({
      id,
      user_id: userId,
      csrf_token: csrfToken,
      mfa: info.mfa,
      ip: info.ip ?? null,
      user_agent: info.userAgent?.slice(0, 300) ?? null,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return { secret, id, csrfToken, expiresAt };
}

export interface ResolvedSession {
  id: string;
  csrfToken: string;
  actor: Extract<Actor, { type: 'user' }>;
}

/** Looks a cookie secret up; returns nothing for unknown, expired, idle or disabled. */
export async function resolveSession(ctx: AppContext, secret: string): Promise<ResolvedSession | undefined> {
  const now = ctx.clock.now();
  const id = sha256Hex(secret);
  const row = await ctx.db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('organizations as o', 'o.id', 'u.org_id')
    .select([
      's.id',
      's.csrf_token',
      's.expires_at',
      's.last_seen_at',
      'u.id as user_id',
      'u.org_id',
      'u.org_role',
      'u.is_operator',
      'u.disabled_at',
      'o.kind as org_kind',
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row || row.disabled_at) return undefined;
  const idleLimit = now.getTime() - ctx.config.sessionIdleMinutes * 60_000;
  if (row.expires_at.getTime() <= now.getTime() || row.last_seen_at.getTime() <= idleLimit) {
    await ctx.db.deleteFrom('sessions').where('id', '=', id).execute();
    return undefined;
  }
  // Touch at most once a minute: enough for idle expiry, cheap on the hot path.
  if (now.getTime() - row.last_seen_at.getTime() > 60_000) {
    await ctx.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  }
  return {
    id: row.id,
    csrfToken: row.csrf_token,
    actor: {
      type: 'user',
      userId: row.user_id,
      orgId: row.org_id,
      orgRole: row.org_role,
      orgKind: row.org_kind,
      isOperator: row.is_operator,
      via: 'session',
      scopes: null,
    },
  };
}
