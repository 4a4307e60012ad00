// Passkeys (WebAuthn): registering them to one's account, listing and removing them, and
// signing in with one. Challenges live in the database so that any server process can finish a
// ceremony another one started; a challenge is deleted when it is presented, so each one can
// be answered at most once, and only before it expires.
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { AppContext, RequestMeta } from '../context.ts';
import { Problem, problems } from '../problem.ts';
import { appendAudit } from '../store/audit.ts';
import { addHit, countHits, windowAt } from '../store/rate-limits.ts';
import { auditSelf } from './auth.ts';

// Loaded on first use: the library takes a fifth of a second to load, and most starts never need it.
let lib: Promise<[typeof import('@simplewebauthn/server')]> | undefined;
const webauthnLib = () => {
  lib ??= Promise.all([import('@simplewebauthn/server')]);
  return lib;
};

import { createSession, type NewSession } from './sessions.ts';

const CHALLENGE_TTL_MS = 5 * 60_000;
/** Enough for every device a person owns; bounds what one account can store. */
export const MAX_CREDENTIALS = 20;
/** Same window as password sign-in: failures from one address count against both. */
const IP_WINDOW_SECONDS = 15 * 60;

export interface CredentialView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  deviceType: string | null;
  backedUp: boolean;
}

/** A failed sign-in: one answer for every cause, so a prober learns nothing. */
const badPasskey = () => new Problem(401, 'invalid-credentials', 'Invalid credentials', 'The passkey was not accepted.');

/** A registration the verifier refused: the signed-in user may see why. */
const rejected = (detail: string) =>
  new Problem(400, 'webauthn-rejected', 'Passkey rejected', detail, {
    errors: [{ field: 'body.response', message: detail }],
  });

/** The WebAuthn user handle: the user's UUID as its 16 bytes, never the email. */
function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

/** The challenge inside clientDataJSON, or undefined when that is not decodable. */
function challengeOf(response: { response: { clientDataJSON: string } }): string | undefined {
  try {
    // clientDataJSON is base64url-encoded JSON (WebAuthn §5.8.1); the library verifies it fully later.
    const c = (JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown })
      .challenge;
    return typeof c === 'string' && c.length > 0 && c.length <= 512 ? c : undefined;
  } catch {
    return undefined;
  }
}

async function storeChallenge(ctx: AppContext, purpose: 'register' | 'login', userId: string | null, challenge: string) {
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('webauthn_challenges')
    .values({ user_id: userId, purpose, challenge, created_at: now, expires_at: new Date(now.getTime() + CHALLENGE_TTL_MS) })
    .execute();
}

/**
 * Deletes the challenge and says whether it was live. The delete is the claim: of two requests
 * presenting one challenge, only one gets the row back. Expired ones are deleted too (they are
 * dead either way); housekeeping removes those nobody presents.
 */
async function consumeChallenge(
  ctx: AppContext,
  purpose: 'register' | 'login',
  challenge: string,
  userId: string | null,
): Promise<boolean> {
  let q = ctx.db.deleteFrom('webauthn_challenges').where('challenge', '=', challenge).where('purpose', '=', purpose);
  q = userId === null ? q.where('user_id', 'is', null) : q.where('user_id', '=', userId);
  const row = await q.returning('expires_at').executeTakeFirst();
  return row !== undefined && row.expires_at.getTime() > ctx.clock.now().getTime();
}

// ---------------------------------------------------------------------------------------------
// Registration (a signed-in session adds a passkey to its own account)

export async function registrationOptions(ctx: AppContext, userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const user = await ctx.db
    .selectFrom('users')
    .select(['email', 'display_name'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  const existing = await ctx.db
    .selectFrom('webauthn_credentials')
    .select(['credential_id', 'transports'])
    .where('user_id', '=', userId)
    .execute();
  if (existing.length >= MAX_CREDENTIALS) throw problems.conflict(`At most ${MAX_CREDENTIALS} passkeys; remove one first.`);
  const options = await (await webauthnLib())[0].generateRegistrationOptions({
    rpName: ctx.config.webauthnRpName,
    rpID: ctx.config.webauthnRpId,
    userName: user.email,
    userDisplayName: user.display_name,
    userID: userHandleOf(userId),
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    // The authenticator refuses to make a second credential for an account it already holds.
    excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await storeChallenge(ctx, 'register', userId, options.challenge);
  return options;
}

export async function finishRegistration(
  ctx: AppContext,
  meta: RequestMeta,
  userId: string,
  response: RegistrationResponseJSON,
  name?: string,
): Promise<CredentialView> {
  const challenge = challengeOf(response);
  // Consumed before verification, so a failed attempt also burns the challenge.
  if (!challenge || !(await consumeChallenge(ctx, 'register', challenge, userId))) {
    throw rejected('The challenge is unknown, expired or already used; request new options.');
  }
  let info: NonNullable<Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo']>;
  try {
    const v = await (await webauthnLib())[0].verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: ctx.config.publicUrl,
      expectedRPID: ctx.config.webauthnRpId,
      // We asked for 'preferred'; sign-in is where verification is required.
      requireUserVerification: false,
    });
    if (!v.verified) throw new Error('The registration response did not verify.');
    info = v.registrationInfo;
  } catch (err) {
    throw rejected(err instanceof Error ? err.message : 'The registration response did not verify.');
  }

  const now = ctx.clock.now();
  const row = await ctx.db.transaction().execute(async (trx) => {
    const { n } = await trx
      .selectFrom('webauthn_credentials')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    if (Number(n) >= MAX_CREDENTIALS) throw problems.conflict(`At most ${MAX_CREDENTIALS} passkeys; remove one first.`);
    // credential_id is unique across all users: a second registration of one authenticator
    // credential (by anyone) is a conflict, never a takeover.
    const inserted = await trx
      .insertInto('webauthn_credentials')
      .values({
        user_id: userId,
        credential_id: info.credential.id,
        public_key: Buffer.from(info.credential.publicKey),
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        device_type: info.credentialDeviceType,
        backed_up: info.credentialBackedUp,
        ...(name ? { name } : {}),
        created_at: now,
      })
      .onConflict((oc) => oc.column('credential_id').doNothing())
      .returning(['id', 'name', 'created_at', 'last_used_at', 'device_type', 'backed_up'])
      .executeTakeFirst();
    if (!inserted) throw problems.conflict('This passkey is already registered.');
    await auditSelf(ctx, trx, meta, 'webauthn.register', 'webauthn_credential', inserted.id, {
      name: inserted.name,
      deviceType: inserted.device_type,
      backedUp: inserted.backed_up,
    });
    return inserted;
  });
  return view(row);
}

function view(r: {
  id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  device_type: string | null;
  backed_up: boolean;
}): CredentialView {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    deviceType: r.device_type,
    backedUp: r.backed_up,
  };
}

export async function listCredentials(ctx: AppContext, userId: string): Promise<CredentialView[]> {
  const rows = await ctx.db
    .selectFrom('webauthn_credentials')
    .select(['id', 'name', 'created_at', 'last_used_at', 'device_type', 'backed_up'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(view);
}

export async function deleteCredential(ctx: AppContext, meta: RequestMeta, userId: string, id: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    // Scoped by owner: someone else's passkey is "not found", never "forbidden".
    const gone = await trx
      .deleteFrom('webauthn_credentials')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .returning(['id', 'name'])
      .executeTakeFirst();
    if (!gone) throw problems.notFound('passkey');
    // A user without a password would otherwise lock themselves out with their last passkey.
    const user = await trx.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow();
    if (!user.password_hash) {
      const left = await trx.selectFrom('webauthn_credentials').select('id').where('user_id', '=', userId).executeTakeFirst();
      if (!left) throw problems.conflict('This is your only way to sign in; set a password or add another passkey first.');
    }
    await auditSelf(ctx, trx, meta, 'webauthn.delete', 'webauthn_credential', gone.id, { name: gone.name });
  });
}

// ---------------------------------------------------------------------------------------------
// Sign-in (anonymous)

export async function loginOptions(
  ctx: AppContext,
  meta: RequestMeta,
  email: string | undefined,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  // Each call stores a row for an anonymous caller: bound how fast one address can add them.
  const now = ctx.clock.now();
  const w = windowAt(now, IP_WINDOW_SECONDS);
  const ipKey = meta.ip ?? 'unknown';
  if ((await addHit(ctx.db, 'webauthn-options-ip', ipKey, w)) > ctx.config.loginIpLimit * 4) {
    throw problems.tooMany(Math.max(1, Math.ceil((w.end.getTime() - now.getTime()) / 1000)));
  }
  let allow: { id: string; transports: string[] }[] = [];
  if (email) {
    allow = await ctx.db
      .selectFrom('webauthn_credentials as c')
      .innerJoin('users as u', 'u.id', 'c.user_id')
      .select(['c.credential_id as id', 'c.transports'])
      .where((eb) => eb(eb.fn('lower', ['u.email']), '=', email.trim().toLowerCase()))
      .where('u.disabled_at', 'is', null)
      .execute();
  }
  const options = await (await webauthnLib())[0].generateAuthenticationOptions({
    rpID: ctx.config.webauthnRpId,
    // Unknown email, disabled account or no passkeys: the same answer as asking without an
    // email (a discoverable-credential prompt), so the response does not say which it was.
    ...(allow.length ? { allowCredentials: allow } : {}),
    timeout: CHALLENGE_TTL_MS,
    userVerification: 'required',
  });
  // Not bound to a user: with discoverable credentials the server learns who only at verify time.
  await storeChallenge(ctx, 'login', null, options.challenge);
  return options;
}

export async function loginWithPasskey(
  ctx: AppContext,
  meta: RequestMeta,
  response: AuthenticationResponseJSON,
): Promise<NewSession & { userId: string }> {
  const now = ctx.clock.now();
  const ipKey = meta.ip ?? 'unknown';
  const ipWindow = windowAt(now, IP_WINDOW_SECONDS);
  if ((await countHits(ctx.db, 'login-ip', ipKey, ipWindow)) >= ctx.config.loginIpLimit) {
    throw problems.tooMany(Math.max(1, Math.ceil((ipWindow.end.getTime() - now.getTime()) / 1000)));
  }
  const fail = async (user: { id: string; orgId: string } | undefined, reason: string) => {
    await ctx.db.transaction().execute(async (trx) => {
      await addHit(trx, 'login-ip', ipKey, ipWindow);
      if (user) {
        await appendAudit(trx, {
          at: now,
          actorUserId: user.id,
          actorOrgId: user.orgId,
          subjectOrgId: user.orgId,
          action: 'auth.login_failed',
          objectType: 'user',
          objectId: user.id,
          requestId: meta.requestId,
          details: { method: 'webauthn', reason, ip: meta.ip ?? null },
        });
      }
    });
    return badPasskey();
  };

  const challenge = challengeOf(response);
  if (!challenge || !(await consumeChallenge(ctx, 'login', challenge, null))) throw await fail(undefined, 'challenge');

  const cred = await ctx.db
    .selectFrom('webauthn_credentials as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .select(['c.id', 'c.user_id', 'c.credential_id', 'c.public_key', 'c.counter', 'c.transports', 'u.org_id', 'u.disabled_at'])
    .where('c.credential_id', '=', response.id)
    .executeTakeFirst();
  if (!cred) throw await fail(undefined, 'unknown_credential');
  const owner = { id: cred.user_id, orgId: cred.org_id };

  // A discoverable credential names its user; it must be the credential's owner.
  const handle = response.response.userHandle;
  if (handle && handle !== Buffer.from(userHandleOf(cred.user_id)).toString('base64url')) throw await fail(owner, 'user_handle');

  const stored = Number(cred.counter);
  let newCounter: number;
  try {
    const v = await (await webauthnLib())[0].verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: ctx.config.publicUrl,
      expectedRPID: ctx.config.webauthnRpId,
      // Counter 0 here: the library would compare counters before checking the signature;
      // comparing after (below) means a "cloned authenticator" report is always a signed one.
      credential: { id: cred.credential_id, publicKey: new Uint8Array(cred.public_key), counter: 0, transports: cred.transports },
      requireUserVerification: true,
    });
    if (!v.verified) throw new Error('signature');
    newCounter = v.authenticationInfo.newCounter;
  } catch {
    throw await fail(owner, 'assertion');
  }
  // Authenticators that keep a counter must increase it; one that does not (always 0) never
  // starts. Anything else means two copies of the key exist.
  if ((newCounter > 0 || stored > 0) && newCounter <= stored) throw await fail(owner, 'counter');
  if (cred.disabled_at) throw await fail(owner, 'disabled');

  const session = await ctx.db.transaction().execute(async (trx) => {
    // Conditional on the counter we read: of two concurrent uses of one assertion, one wins.
    const res = await trx
      .updateTable('webauthn_credentials')
      .set({ counter: newCounter, last_used_at: now })
      .where('id', '=', cred.id)
      .where('counter', newCounter === 0 ? '=' : '<', String(newCounter))
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) return undefined;
    const s = await createSession(ctx, trx, cred.user_id, { ip: meta.ip, userAgent: meta.userAgent, mfa: true });
    await appendAudit(trx, {
      at: now,
      actorUserId: cred.user_id,
      actorOrgId: cred.org_id,
      subjectOrgId: cred.org_id,
      action: 'auth.login',
      objectType: 'user',
      objectId: cred.user_id,
      requestId: meta.requestId,
      details: { method: 'webauthn', credentialId: cred.id },
    });
    return s;
  });
  if (!session) throw await fail(owner, 'counter');
  return { ...session, userId: cred.user_id };
}
