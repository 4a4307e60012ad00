// What the in-process benchmarks (release, tents) set up alike: a Village on a scratch database,
// and a coordinator organization with its admin and N vendor organizations, each with a PSIRT.
import pino from 'pino';
import { startVillage, type Village } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { RequestMeta } from '../src/context.ts';
import type { UserActor } from '../src/domain/policy.ts';
import { createOrganization, createUser } from '../src/services/organizations.ts';
import type { Database } from '../src/store/database.ts';
import type { ScratchDatabase } from './lib.ts';

/** A Village on the scratch database, without demo data, logs or a listening server. */
export async function startBenchVillage(scratch: ScratchDatabase, database: Database, poolMax = 10): Promise<Village> {
  const config = loadConfig({
    VILLAGE_DATA_DIR: scratch.dataDir,
    VILLAGE_DEMO: '0',
    VILLAGE_LOG_LEVEL: 'silent',
    VILLAGE_PUBLIC_URL: 'http://127.0.0.1:8080',
    ...(scratch.url ? { DATABASE_URL: scratch.url, VILLAGE_DB_POOL_MAX: String(poolMax) } : {}),
  });
  return await startVillage(config, { database, log: pino({ level: 'silent' }) });
}

export interface BenchParties {
  coordOrgId: string;
  coordUserId: string;
  /** The coordinator's admin, as the services take it. */
  actor: UserActor;
  meta: RequestMeta;
  vendors: string[];
}

/** A coordinator (its admin signs in with `password` when given) and `vendors` vendor organizations. */
export async function benchParties(village: Village, label: string, vendors: number, password?: string): Promise<BenchParties> {
  const ctx = village.ctx;
  const system: RequestMeta = { actor: { type: 'anonymous' }, requestId: label };
  const coordOrg = await createOrganization(ctx, system, { slug: 'bench-cc', name: 'Bench CC', kind: 'coordinator' });
  const coordUser = await createUser(ctx, system, {
    orgId: coordOrg.id,
    email: 'cc@bench.example',
    displayName: 'CC',
    orgRole: 'admin',
    ...(password ? { password } : {}),
  });
  const actor: UserActor = {
    type: 'user',
    userId: coordUser.id,
    orgId: coordOrg.id,
    orgRole: 'admin',
    orgKind: 'coordinator',
    isOperator: false,
    via: 'session',
    scopes: null,
  };
  const ids: string[] = [];
  for (let i = 0; i < vendors; i++) {
    const o = await createOrganization(ctx, system, { slug: `bench-vendor-${i}`, name: `Vendor ${i}`, kind: 'vendor' });
    await createUser(ctx, system, {
      orgId: o.id,
      email: `psirt@vendor-${i}.example`,
      displayName: `PSIRT ${i}`,
      orgRole: 'admin',
    });
    ids.push(o.id);
  }
  return { coordOrgId: coordOrg.id, coordUserId: coordUser.id, actor, meta: { actor, requestId: label }, vendors: ids };
}
