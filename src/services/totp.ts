// TOTP enrolment: start (secret + otpauth URI), confirm with a code (which also issues
// recovery codes), disable with a code; recovery codes can be regenerated.
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { hashRecoveryCode, matchTotp, newRecoveryCodes, newTotpSecret, totpFor } from '../crypto/totp.ts';
import { problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import { auditSelf } from './auth.ts';

export async function startTotpEnrolment(
  ctx: AppContext,
  meta: RequestMeta,
  userId: string,
): Promise<{ secret: string; otpauthUri: string }> {
  const user = await ctx.db
    .selectFrom('users')
    .select(['email', 'totp_enabled_at'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  if (user.totp_enabled_at) throw problems.conflict('TOTP is already enabled; disable it first.');
  const secret = newTotpSecret();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ totp_secret: secret, totp_last_step: null }).where('id', '=', userId).execute();
    await auditSelf(ctx, trx, meta, 'totp.enrol_start', 'user', userId);
  });
  return { secret, otpauthUri: totpFor(secret, user.email, ctx.config.webauthnRpName).toString() };
}

export async function confirmTotp(
  ctx: AppContext,
  meta: RequestMeta,
  userId: string,
  code: string,
): Promise<{ recoveryCodes: string[] }> {
  const now = ctx.clock.now();
  const user = await ctx.db
    .selectFrom('users')
    .select(['totp_secret', 'totp_enabled_at'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  if (user.totp_enabled_at) throw problems.conflict('TOTP is already enabled.');
  if (!user.totp_secret) throw problems.conflict('Start TOTP enrolment first.');
  const step = matchTotp(user.totp_secret, code, now);
  if (step === undefined) throw problems.badRequest('The code does not match.', [{ field: 'code', message: 'does not match' }]);
  return ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ totp_enabled_at: now, totp_last_step: step }).where('id', '=', userId).execute();
    const codes = await replaceRecoveryCodes(trx, userId);
    await auditSelf(ctx, trx, meta, 'totp.enable', 'user', userId);
    return { recoveryCodes: codes };
  });
}

export async function disableTotp(ctx: AppContext, meta: RequestMeta, userId: string, code: string): Promise<void> {
  const now = ctx.clock.now();
  const user = await ctx.db
    .selectFrom('users')
    .select(['totp_secret', 'totp_enabled_at'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  if (!user.totp_enabled_at || !user.totp_secret) throw problems.conflict('TOTP is not enabled.');
  if (matchTotp(user.totp_secret, code, now) === undefined) {
    throw problems.badRequest('The code does not match.', [{ field: 'code', message: 'does not match' }]);
  }
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
      .where('id', '=', userId)
      .execute();
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await auditSelf(ctx, trx, meta, 'totp.disable', 'user', userId);
  });
}

export async function regenerateRecoveryCodes(ctx: AppContext, meta: RequestMeta, userId: string): Promise<string[]> {
  const user = await ctx.db.selectFrom('users').select('totp_enabled_at').where('id', '=', userId).executeTakeFirstOrThrow();
  if (!user.totp_enabled_at) throw problems.conflict('Enable TOTP first.');
  return ctx.db.transaction().execute(async (trx) => {
    const codes = await replaceRecoveryCodes(trx, userId);
    await auditSelf(ctx, trx, meta, 'recovery_codes.regenerate', 'user', userId);
    return codes;
  });
}

async function replaceRecoveryCodes(trx: Kysely<DB>, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await trx
    .insertInto('recovery_codes')
    .values(codes.map((c) => ({ user_id: userId, code_hash: hashRecoveryCode(c) })))
    .execute();
  return codes;
}
