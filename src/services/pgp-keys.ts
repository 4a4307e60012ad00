// OpenPGP public keys of users and organizations: checked on upload (src/crypto/openpgp.ts),
// listed with their fingerprints, removed; and the key mail to an address is encrypted to at
// send time: the user's own, else their organization's, else (mail to a reporter) the report's.
import type { Kysely } from 'kysely';
import type { AppContext, RequestMeta } from '../context.ts';
import { inspectKey, KeyParseError, type PublicKey, readPublicKey } from '../crypto/openpgp.ts';
import { Problem, problems } from '../problem.ts';
import type { DB } from '../store/schema.ts';
import { auditObject } from './audit-log.ts';

/** Keys one user or one organization may hold at once. */
export const MAX_KEYS_PER_OWNER = 10;

export type KeyOwner = { kind: 'user'; userId: string; orgId: string } | { kind: 'org'; orgId: string };

export interface PgpKeyView {
  id: string;
  /** Upper-case hex, as GnuPG prints it. */
  fingerprint: string;
  userIds: string[];
  algorithm: string;
  keyCreatedAt: Date;
  expiresAt: Date | null;
  /** Usable for mail now (not expired, not revoked, an encryption subkey valid now). */
  usable: boolean;
  /** Why not, when it is not usable. */
  problems: string[];
  addedAt: Date;
}

/** The 422 problem for a key Village cannot encrypt to, naming why. */
export function unusableKey(field: string, reason: string): Problem {
  return new Problem(422, 'unusable-pgp-key', 'Unusable OpenPGP key', `${field}: ${reason}`, {
    errors: [{ field, message: reason }],
  });
}

/**
 * Reads and checks an armored public key for receiving mail at `now`: one public key (not a
 * private key, not several), not expired or revoked, with a valid encryption subkey. Throws a
 * 422 problem naming why not.
 */
export async function checkUploadedKey(field: string, armored: string, now: Date) {
  let key: PublicKey;
  try {
    key = await readPublicKey(armored);
  } catch (e) {
    if (e instanceof KeyParseError) throw unusableKey(field, e.message);
    throw unusableKey(field, 'not an OpenPGP public key');
  }
  const info = await inspectKey(key, now);
  if (!info.canEncrypt) throw unusableKey(field, info.problems.join('; ') || 'the key cannot encrypt');
  return { key, info, armored: key.armor() };
}

type KeyRow = {
  id: string;
  fingerprint: string;
  armored: string;
  user_ids: string[];
  algorithm: string;
  key_created_at: Date;
  expires_at: Date | null;
  created_at: Date;
};
const COLUMNS = ['id', 'fingerprint', 'armored', 'user_ids', 'algorithm', 'key_created_at', 'expires_at', 'created_at'] as const;

async function view(r: KeyRow, now: Date): Promise<PgpKeyView> {
  let usable = false;
  let why: string[] = [];
  try {
    const info = await inspectKey(await readPublicKey(r.armored), now);
    usable = info.canEncrypt;
    why = info.problems;
  } catch (e) {
    why = [(e as Error).message];
  }
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    userIds: r.user_ids,
    algorithm: r.algorithm,
    keyCreatedAt: r.key_created_at,
    expiresAt: r.expires_at,
    usable,
    problems: why,
    addedAt: r.created_at,
  };
}

function ownedBy(owner: KeyOwner) {
  return owner.kind === 'user' ? (['user_id', owner.userId] as const) : (['org_id', owner.orgId] as const);
}

export async function listKeys(ctx: AppContext, owner: KeyOwner): Promise<PgpKeyView[]> {
  const [col, id] = ownedBy(owner);
  const rows = await ctx.db.selectFrom('pgp_keys').select(COLUMNS).where(col, '=', id).orderBy('created_at').execute();
  const now = ctx.clock.now();
  return Promise.all(rows.map((r) => view(r, now)));
}

export async function addKey(ctx: AppContext, meta: RequestMeta, owner: KeyOwner, armored: string): Promise<PgpKeyView> {
  const now = ctx.clock.now();
  const { info, armored: normalised } = await checkUploadedKey('body.armored', armored, now);
  const [col, id] = ownedBy(owner);
  const row = await ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('pgp_keys').select(['fingerprint']).where(col, '=', id).forUpdate().execute();
    if (existing.some((k) => k.fingerprint === info.fingerprint)) {
      throw problems.conflict(`The key ${info.fingerprint} is already there; delete it first to replace it.`);
    }
    if (existing.length >= MAX_KEYS_PER_OWNER) {
      throw problems.conflict(`At most ${MAX_KEYS_PER_OWNER} keys; delete one first.`);
    }
    const r = await trx
      .insertInto('pgp_keys')
      .values({
        user_id: owner.kind === 'user' ? owner.userId : null,
        org_id: owner.kind === 'org' ? owner.orgId : null,
        fingerprint: info.fingerprint,
        armored: normalised,
        user_ids: info.userIds,
        algorithm: info.algorithm,
        key_created_at: info.created,
        expires_at: info.expires ?? null,
        added_by: meta.actor.type === 'user' ? meta.actor.userId : null,
        created_at: now,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await auditObject(
      ctx,
      trx,
      meta,
      { type: 'pgp_key', id: r.id },
      'pgp_key.add',
      { fingerprint: info.fingerprint },
      owner.orgId,
    );
    return r;
  });
  return view(row, now);
}

export async function deleteKey(ctx: AppContext, meta: RequestMeta, owner: KeyOwner, keyId: string): Promise<void> {
  const [col, id] = ownedBy(owner);
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .deleteFrom('pgp_keys')
      .where('id', '=', keyId)
      .where(col, '=', id)
      .returning(['id', 'fingerprint'])
      .executeTakeFirst();
    if (!r) throw problems.notFound('key');
    await auditObject(
      ctx,
      trx,
      meta,
      { type: 'pgp_key', id: r.id },
      'pgp_key.delete',
      { fingerprint: r.fingerprint },
      owner.orgId,
    );
  });
}

/** A key mail can be encrypted to, with where it came from. */
export interface MailKey {
  key: PublicKey;
  fingerprint: string;
  source: 'user' | 'org' | 'reporter';
}

/** The newest usable key among armored candidates (newest first), or null. */
async function firstUsable(candidates: string[], now: Date): Promise<{ key: PublicKey; fingerprint: string } | null> {
  for (const armored of candidates) {
    try {
      const key = await readPublicKey(armored);
      const info = await inspectKey(key, now);
      if (info.canEncrypt) return { key, fingerprint: info.fingerprint };
    } catch {
      // an unreadable stored key is skipped like an expired one
    }
  }
  return null;
}

/**
 * The key to encrypt mail to `address` with at `now`: the (active) user's own newest usable key,
 * else their organization's, else, for mail to the reporter of `reportId`, the key on the report.
 * Null when there is none usable (expired, revoked, or no key at all).
 */
export async function mailKeyFor(db: Kysely<DB>, address: string, reportId: string | null, now: Date): Promise<MailKey | null> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'org_id'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', address.toLowerCase()))
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (user) {
    const own = await db
      .selectFrom('pgp_keys')
      .select('armored')
      .where('user_id', '=', user.id)
      .orderBy('created_at', 'desc')
      .execute();
    const k = await firstUsable(
      own.map((r) => r.armored),
      now,
    );
    if (k) return { ...k, source: 'user' };
    const org = await db
      .selectFrom('pgp_keys')
      .select('armored')
      .where('org_id', '=', user.org_id)
      .orderBy('created_at', 'desc')
      .execute();
    const o = await firstUsable(
      org.map((r) => r.armored),
      now,
    );
    if (o) return { ...o, source: 'org' };
  }
  if (reportId) {
    const r = await db.selectFrom('reports').select('reporter_pgp_key').where('id', '=', reportId).executeTakeFirst();
    if (r?.reporter_pgp_key) {
      const k = await firstUsable([r.reporter_pgp_key], now);
      if (k) return { ...k, source: 'reporter' };
    }
  }
  return null;
}

/** The key a signed-in user reads encrypted downloads with: their own, else their organization's. */
export async function readerKey(db: Kysely<DB>, userId: string, orgId: string, now: Date): Promise<MailKey | null> {
  const rows = await db
    .selectFrom('pgp_keys')
    .select(['armored', 'user_id'])
    .where((eb) => eb.or([eb('user_id', '=', userId), eb('org_id', '=', orgId)]))
    .orderBy('created_at', 'desc')
    .execute();
  const own = await firstUsable(
    rows.filter((r) => r.user_id !== null).map((r) => r.armored),
    now,
  );
  if (own) return { ...own, source: 'user' };
  const org = await firstUsable(
    rows.filter((r) => r.user_id === null).map((r) => r.armored),
    now,
  );
  return org ? { ...org, source: 'org' } : null;
}
