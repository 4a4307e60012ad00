// What every service receives: configuration, database, clock, logger and job queue.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Actor } from './domain/policy.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { InstanceKeys } from './services/instance-keys.ts';
import type { Database } from './store/database.ts';
import type { DB } from './store/schema.ts';

export interface AppContext {
  config: Config;
  database: Database;
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
  jobs: JobQueue;
  /** The key-encryption keyring and the instance's OpenPGP signing key. */
  keys: InstanceKeys;
}

/** Who is asking, from where: what services need to decide and to audit. */
export interface RequestMeta {
  actor: Actor;
  requestId: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export function actorIds(meta: RequestMeta): { actorUserId: string | null; actorOrgId: string | null } {
  return meta.actor.type === 'user'
    ? { actorUserId: meta.actor.userId, actorOrgId: meta.actor.orgId }
    : { actorUserId: null, actorOrgId: null };
}
