// Ejection takes effect at once: a member organization's user reads a case over real HTTP in a
// tight loop (keep-alive, a session cookie); a steward ejects the organization through the API;
// the figure is the time from the start of the ejection call to the first denied read. Repeated
// --rounds times (readmitted and invited again in between) on the embedded database and, with
// DATABASE_URL, on PostgreSQL. Target: ≤ 1 s. Also reports how long the ejection call itself took.
//
//   node --import tsx bench/eject.ts [--rounds 30] [--cases 10]
import http from 'node:http';
import pino from 'pino';
import { startVillage } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { RequestMeta } from '../src/context.ts';
import { CommunitySettingsSchema } from '../src/domain/community.ts';
import type { UserActor } from '../src/domain/policy.ts';
import { addParticipant, openCase } from '../src/services/cases.ts';
import { createCommunity, membershipAction } from '../src/services/communities.ts';
import { createOrganization, createUser } from '../src/services/organizations.ts';
import { createSession } from '../src/services/sessions.ts';
import { createToken } from '../src/services/tokens.ts';
import type { Engine } from '../src/store/database.ts';
import { emit, engines, freePort, intOption, machine, now, openScratch, out, quantile, round, scratchDatabase } from './lib.ts';

const ROUNDS = intOption('rounds', 30);
const CASES = intOption('cases', 10);

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function request(port: number, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (b: Buffer) => {
          text += b.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const actorOf = (userId: string, orgId: string, orgKind: UserActor['orgKind']): UserActor => ({
  type: 'user',
  userId,
  orgId,
  orgRole: 'admin',
  orgKind,
  isOperator: false,
  via: 'session',
  scopes: null,
});

async function run(engine: Engine) {
  const scratch = await scratchDatabase(engine, 'eject');
  const database = await openScratch(scratch, 10);
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    VILLAGE_DATA_DIR: scratch.dataDir,
    VILLAGE_DEMO: '0',
    VILLAGE_LOG_LEVEL: 'silent',
    VILLAGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...(scratch.url ? { DATABASE_URL: scratch.url } : {}),
  });
  const village = await startVillage(config, { database, log: pino({ level: 'silent' }), listen: true });
  const ctx = village.ctx;
  try {
    const system: RequestMeta = { actor: { type: 'anonymous' }, requestId: 'bench-eject' };
    const cc = await createOrganization(ctx, system, { slug: 'bench-cc', name: 'Bench CC', kind: 'coordinator' });
    const steward = await createUser(ctx, system, {
      orgId: cc.id,
      email: 'steward@bench.example',
      displayName: 'Steward',
      orgRole: 'admin',
    });
    const member = await createOrganization(ctx, system, { slug: 'bench-member', name: 'Member', kind: 'vendor' });
    const reader = await createUser(ctx, system, {
      orgId: member.id,
      email: 'psirt@member.example',
      displayName: 'PSIRT',
      orgRole: 'admin',
    });
    const coord = actorOf(steward.id, cc.id, 'coordinator');
    const coordMeta: RequestMeta = { actor: coord, requestId: 'bench-eject' };
    const memberActor = actorOf(reader.id, member.id, 'vendor');
    const community = await createCommunity(ctx, coordMeta, {
      slug: 'bench-community',
      name: 'Bench community',
      settings: CommunitySettingsSchema.parse({
        charter: 'Benchmark community.',
        tiers: ['core'],
        embargo: { defaultDays: 45, maxDays: 90 },
        // One steward vote readmits, so each round can start again.
        admission: { kind: 'steward-vote', quorum: { kind: 'count', count: 1 } },
        governmentCerts: { certs: [], notify: { when: 'at-release' } },
      }),
      stewardUserIds: [steward.id],
      founderOrgIds: [cc.id, member.id],
    });
    const cases: string[] = [];
    for (let i = 0; i < CASES; i++) {
      cases.push(
        (await openCase(ctx, coordMeta, coord, { title: `Bench case ${i}`, reportIds: [], communityId: community.id })).id,
      );
    }
    const { token: stewardToken } = await createToken(ctx, coordMeta, steward.id, {
      name: 'bench',
      scopes: ['communities:write'],
      expiresInDays: 1,
    });
    const session = await createSession(ctx, ctx.db, reader.id, { mfa: false });
    const cookie = { cookie: `village_session=${session.secret}` };
    const target = cases[0] as string;
    const denied: number[] = [];
    const callMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r > 0) {
        await membershipAction(ctx, { actor: memberActor, requestId: 'bench' }, memberActor, community.id, member.id, {
          type: 'readmit',
        });
        await membershipAction(ctx, coordMeta, coord, community.id, member.id, { type: 'vote', vote: 'yes' });
      }
      for (const c of cases) await addParticipant(ctx, coordMeta, c, { orgId: member.id, role: 'vendor' });
      // The member reads, and keeps reading.
      let stop = false;
      let firstDenied = 0;
      let reads = 0;
      const loop = (async () => {
        while (!stop) {
          const res = await request(port, 'GET', `/api/v1/cases/${target}`, cookie);
          if (res.status === 200) reads++;
          else if (res.status === 404) {
            firstDenied = now();
            return;
          } else throw new Error(`unexpected ${res.status}: ${res.body}`);
        }
      })();
      while (reads < 3) await new Promise((res) => setTimeout(res, 5));
      const t0 = now();
      const ej = await request(
        port,
        'POST',
        `/api/v1/communities/${community.id}/members/${member.id}/events`,
        { authorization: `Bearer ${stewardToken}` },
        { type: 'eject', reason: `benchmark round ${r}` },
      );
      const t1 = now();
      if (ej.status !== 200) throw new Error(`eject failed: ${ej.status} ${ej.body}`);
      const timeout = setTimeout(() => {
        stop = true;
      }, 10_000);
      await loop;
      clearTimeout(timeout);
      if (!firstDenied) throw new Error('the ejected session was never denied');
      denied.push(firstDenied - t0);
      callMs.push(t1 - t0);
    }
    const result = {
      engine,
      rounds: ROUNDS,
      cases: CASES,
      p50_ms: round(quantile(denied, 0.5), 1),
      p99_ms: round(quantile(denied, 0.99), 1),
      max_ms: round(Math.max(...denied), 1),
      eject_call_p50_ms: round(quantile(callMs, 0.5), 1),
    };
    out(
      `  ${engine}: ejection call to first denied read: p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, max ${result.max_ms} ms ` +
        `(the call itself: p50 ${result.eject_call_p50_ms} ms; ${CASES} cases recorded and reported each time)`,
    );
    return result;
  } finally {
    agent.destroy();
    await village.stop();
    await database.close().catch(() => undefined);
    await scratch.drop();
  }
}

out(`eject: ${ROUNDS} rounds; a session reads a case in a loop while a steward ejects its organization`);
const results = [];
for (const engine of engines()) results.push(await run(engine));
const worst = results.reduce((a, b) => (b.max_ms > a.max_ms ? b : a));
out(`target ≤ 1000 ms: ${results.every((r) => r.max_ms <= 1000) ? 'met' : 'NOT met'}`);
emit({ bench: 'eject', p50_ms: worst.p50_ms, p99_ms: worst.p99_ms, max_ms: worst.max_ms, engines: results, machine: machine() });
