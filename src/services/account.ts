// A user's own account: profile, password, sessions.
import type { AppContext, RequestMeta } from '../context.ts';
import { hashPassword, verifyPassword } from '../crypto/passwords.ts';
import { problems } from '../problem.ts';
import { auditSelf } from './auth.ts';

export async function changePassword(
  ctx: AppContext,
  meta: RequestMeta,
  userId: string,
  currentSessionId: string | undefined,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const user = await ctx.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow();
  if (!user.password_hash || !(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw problems.badRequest('The current password is wrong.', [{ field: 'currentPassword', message: 'wrong password' }]);
  }
  const hash = await hashPassword(input.newPassword);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash, updated_at: ctx.clock.now() }).where('id', '=', userId).execute();
    // Other sessions end: whoever knew the old password is signed out.
    let del = trx.deleteFrom('sessions').where('user_id', '=', userId);
    if (currentSessionId) del = del.where('id', '!=', currentSessionId);
    await del.execute();
    await auditSelf(ctx, trx, meta, 'user.password_change', 'user', userId);
  });
}

export interface SessionView {
  id: string;
  current: boolean;
  ip: string | null;
  userAgent: string | null;
  mfa: boolean;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export async function listSessions(ctx: AppContext, userId: string, currentId: string | undefined): Promise<SessionView[]> {
  const rows = await ctx.db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('expires_at', '>', ctx.clock.now())
    .orderBy('last_seen_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    current: r.id === currentId,
    ip: r.ip,
    userAgent: r.user_agent,
    mfa: r.mfa,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
  }));
}

export async function revokeSession(ctx: AppContext, meta: RequestMeta, userId: string, sessionId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const res = await trx.deleteFrom('sessions').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
    if (res.numDeletedRows === 0n) throw problems.notFound('session');
    await auditSelf(ctx, trx, meta, 'session.revoke', 'session', null);
  });
}
