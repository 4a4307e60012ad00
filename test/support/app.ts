// A Village for tests: a fresh database on the engine under test, a manual clock, no listener
// (requests go through Fastify's inject), and helpers to create organizations, users and sessions.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { startVillage, type Village } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { RequestMeta } from '../../src/context.ts';
import { createOrganization, createUser } from '../../src/services/organizations.ts';
import type { OrgKind, OrgRole } from '../../src/store/schema.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export interface TestVillage extends Village {
  clock: ManualClock;
  database: TestDatabase;
  app: FastifyInstance;
  db: TestDatabase['db'];
  close(): Promise<void>;
}

export const PASSWORD = 'correct horse battery staple';

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    VILLAGE_DATA_DIR: '.tmp/test-data',
    VILLAGE_LOG_LEVEL: 'silent',
    VILLAGE_DEMO: '0',
    VILLAGE_PUBLIC_URL: 'http://localhost:8080',
    ...overrides,
  });
}

export async function startTestVillage(
  opts: { env?: Record<string, string>; clock?: ManualClock; workers?: boolean } = {},
): Promise<TestVillage> {
  const database = await createTestDatabase();
  const clock = opts.clock ?? new ManualClock(new Date());
  const config = testConfig({ VILLAGE_WORKERS: opts.workers === false ? '0' : '1', ...opts.env });
  const village = await startVillage(config, { database, clock, log: pino({ level: 'silent' }), jobPollingSeconds: 0.5 });
  return {
    ...village,
    clock,
    database,
    app: village.server,
    db: database.db,
    async close() {
      await village.stop();
      await database.drop();
    },
  };
}

const systemMeta: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'test-setup' };

export async function makeOrg(v: TestVillage, slug: string, kind: OrgKind = 'vendor') {
  return createOrganization(v.ctx, systemMeta, { slug, name: `Org ${slug}`, kind });
}

export async function makeUser(
  v: TestVillage,
  orgId: string,
  email: string,
  opts: { role?: OrgRole; operator?: boolean; password?: string } = {},
) {
  return createUser(v.ctx, systemMeta, {
    orgId,
    email,
    displayName: email.split('@')[0] ?? email,
    orgRole: opts.role ?? 'member',
    isOperator: opts.operator ?? false,
    password: opts.password ?? PASSWORD,
  });
}

/** A signed-in browser: keeps the session cookie and sends the CSRF token on writes. */
export class Session {
  cookie = '';
  csrf = '';
  constructor(readonly app: FastifyInstance) {}

  async login(email: string, password = PASSWORD, extra: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password, ...extra } });
    if (res.statusCode === 200) {
      const c = res.cookies.find((k) => k.name === 'village_session');
      this.cookie = c ? `village_session=${c.value}` : '';
      this.csrf = (res.json() as { csrfToken: string }).csrfToken;
    }
    return res;
  }

  request(opts: InjectOptions): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined) };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && opts.method && !['GET', 'HEAD'].includes(String(opts.method))) headers['x-csrf-token'] = this.csrf;
    return this.app.inject({ ...opts, headers });
  }
}

export async function signIn(v: TestVillage, email: string, password = PASSWORD): Promise<Session> {
  const s = new Session(v.app);
  const res = await s.login(email, password);
  if (res.statusCode !== 200) throw new Error(`login ${email} failed: ${res.statusCode} ${res.body}`);
  return s;
}
