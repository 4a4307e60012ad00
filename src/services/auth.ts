// Signing in and out: password (argon2id), second factor (TOTP or a recovery code),
// throttling per client address and per account, shared by every server process.
import type { Kysely } from 'kysely';
import { type AppContext, actorIds, type RequestMeta } from '../context.ts';
import { verifyAgainstDummy, verifyPassword } from '../crypto/passwords.ts';
import { hashRecoveryCode, matchTotp } from '../crypto/totp.ts';
import { problems } from '../problem.ts';
import { appendAudit } from '../store/audit.ts';
import { addHit, clearHits, countHits, windowAt } from '../store/rate-limits.ts';
import type { DB } from '../store/schema.ts';
import { createSession, type NewSession } from './sessions.ts';

export interface LoginInput {
  email: string;
  password: string;
  totp?: string | undefined;
  recoveryCode?: string | undefined;
}

const IP_WINDOW_SECONDS = 15 * 60;

export async function login(ctx: AppContext, meta: RequestMeta, input: LoginInput): Promise<NewSession & { userId: string }> {
  const now = ctx.clock.now();
  const email = input.email.trim().toLowerCase();
  const ipKey = meta.ip ?? 'unknown';
  const ipWindow = windowAt(now, IP_WINDOW_SECONDS);
  const accountWindow = windowAt(now, ctx.config.loginLockMinutes * 60);
  const retryIn = (w: { end: Date }) => Math.max(1, Math.ceil((w.end.getTime() - now.getTime()) / 1000));

  if ((await countHits(ctx.db, 'login-ip', ipKey, ipWindow)) >= ctx.config.loginIpLimit) {
    throw problems.tooMany(retryIn(ipWindow));
  }
  // The account counter is keyed by the email as typed, known or not, so a lockout
  // says nothing about whether the account exists.
  if ((await countHits(ctx.db, 'login-account', email, accountWindow)) >= ctx.config.loginMaxFailures) {
    throw problems.locked(retryIn(accountWindow));
  }

  const fail = async (userId: string | null, orgId: string | null, reason: string) => {
    await ctx.db.transaction().execute(async (trx) => {
      await addHit(trx, 'login-ip', ipKey, ipWindow);
      await addHit(trx, 'login-account', email, accountWindow);
      if (userId) {
        await appendAudit(trx, {
          at: now,
          actorUserId: userId,
          actorOrgId: orgId,
          subjectOrgId: orgId,
          action: 'auth.login_failed',
          objectType: 'user',
          objectId: userId,
          requestId: meta.requestId,
          details: { reason, ip: meta.ip ?? null },
        });
      }
    });
    return problems.invalidCredentials();
  };

  const user = await ctx.db
    .selectFrom('users')
    .select(['id', 'org_id', 'password_hash', 'disabled_at', 'totp_secret', 'totp_enabled_at', 'totp_last_step'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .executeTakeFirst();

  if (!user?.password_hash || user.disabled_at) {
    await verifyAgainstDummy(input.password);
    throw await fail(user?.id ?? null, user?.org_id ?? null, user ? 'disabled' : 'unknown');
  }
  if (!(await verifyPassword(user.password_hash, input.password))) {
    throw await fail(user.id, user.org_id, 'password');
  }

  let mfa = false;
  let totpStep: number | undefined;
  let recoveryCodeId: string | undefined;
  if (user.totp_enabled_at && user.totp_secret) {
    if (input.totp) {
      totpStep = matchTotp(user.totp_secret, input.totp, now);
      const lastStep = user.totp_last_step === null ? -1 : Number(user.totp_last_step);
      if (totpStep === undefined || totpStep <= lastStep) throw await fail(user.id, user.org_id, 'totp');
    } else if (input.recoveryCode) {
      const row = await ctx.db
        .selectFrom('recovery_codes')
        .select('id')
        .where('user_id', '=', user.id)
        .where('code_hash', '=', hashRecoveryCode(input.recoveryCode))
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (!row) throw await fail(user.id, user.org_id, 'recovery_code');
      recoveryCodeId = row.id;
    } else {
      // Right password, factor missing: not a failure, but no session either.
      throw problems.mfaRequired();
    }
    mfa = true;
  }

  const session = await ctx.db.transaction().execute(async (trx) => {
    if (totpStep !== undefined) {
      // Conditional update: of two concurrent uses of one code, only one wins.
      const res = await trx
        .updateTable('users')
        .set({ totp_last_step: totpStep })
        .where('id', '=', user.id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(totpStep))]))
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw problems.invalidCredentials();
    }
    if (recoveryCodeId) {
      const res = await trx
        .updateTable('recovery_codes')
        .set({ used_at: now })
        .where('id', '=', recoveryCodeId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw problems.invalidCredentials();
    }
    const s = await createSession(ctx, trx, user.id, { ip: meta.ip, userAgent: meta.userAgent, mfa });
    await appendAudit(trx, {
      at: now,
      actorUserId: user.id,
      actorOrgId: user.org_id,
      subjectOrgId: user.org_id,
      action: 'auth.login',
      objectType: 'user',
      objectId: user.id,
      requestId: meta.requestId,
      details: { method: recoveryCodeId ? 'password+recovery_code' : mfa ? 'password+totp' : 'password' },
    });
    return s;
  });
  await clearHits(ctx.db, 'login-account', email);
  return { ...session, userId: user.id };
}

export async function logout(ctx: AppContext, meta: RequestMeta, sessionId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sessions').where('id', '=', sessionId).execute();
    await appendAudit(trx, {
      at: ctx.clock.now(),
      ...actorIds(meta),
      subjectOrgId: actorIds(meta).actorOrgId,
      action: 'auth.logout',
      objectType: 'session',
      objectId: null,
      requestId: meta.requestId,
    });
  });
}

/** Ends every session of a user (and, if asked, revokes every API token). */
export async function logoutEverywhere(
  ctx: AppContext,
  meta: RequestMeta,
  userId: string,
  opts: { revokeTokens: boolean },
): Promise<{ sessions: number; tokens: number }> {
  return ctx.db.transaction().execute(async (trx) => {
    const s = await trx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    let tokens = 0n;
    if (opts.revokeTokens) {
      const t = await trx
        .updateTable('api_tokens')
        .set({ revoked_at: ctx.clock.now() })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      tokens = t.numUpdatedRows;
    }
    await auditSelf(ctx, trx, meta, 'auth.logout_everywhere', 'user', userId, {
      sessions: Number(s.numDeletedRows),
      tokens: Number(tokens),
    });
    return { sessions: Number(s.numDeletedRows), tokens: Number(tokens) };
  });
}

/** An audit entry about the actor's own account. */
export async function auditSelf(
  ctx: AppContext,
  trx: Kysely<DB>,
  meta: RequestMeta,
  action: string,
  objectType: string,
  objectId: string | null,
  details?: Record<string, unknown>,
): Promise<void> {
  const ids = actorIds(meta);
  await appendAudit(trx, {
    at: ctx.clock.now(),
    ...ids,
    subjectOrgId: ids.actorOrgId,
    action,
    objectType,
    objectId,
    requestId: meta.requestId,
    ...(details ? { details } : {}),
  });
}
