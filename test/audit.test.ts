// The audit log: appended with every change, readable by organization admins,
// and verified end to end; a row edited in the database is named exactly.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/store/audit.ts';
import { makeOrg, makeUser, signIn, startTestVillage, type TestVillage } from './support/app.ts';

let v: TestVillage;
let acme: string;
let globex: string;

beforeAll(async () => {
  v = await startTestVillage({ workers: false });
  acme = (await makeOrg(v, 'acme')).id;
  globex = (await makeOrg(v, 'globex')).id;
  await makeUser(v, acme, 'ada@acme.example', { role: 'admin' });
  await makeUser(v, acme, 'bob@acme.example');
  await makeUser(v, globex, 'gus@globex.example', { role: 'admin' });
  const ada = await signIn(v, 'ada@acme.example');
  for (let i = 0; i < 5; i++) {
    await ada.request({ method: 'PATCH', url: `/api/v1/orgs/${acme}`, payload: { name: `Acme ${i}` } });
  }
});
afterAll(async () => v?.close());

describe('audit entries', () => {
  it('record actor, organization, action, object, time, request id and the chain', async () => {
    const rows = await v.db.selectFrom('audit_log').selectAll().where('action', '=', 'org.update').orderBy('seq').execute();
    expect(rows).toHaveLength(5);
    const r = rows[0];
    expect(r).toMatchObject({ actor_org_id: acme, subject_org_id: acme, object_type: 'organization', object_id: acme });
    expect(r?.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r?.hash).toMatch(/^[0-9a-f]{64}$/);
    for (let i = 1; i < rows.length; i++) expect(BigInt(rows[i]?.seq ?? 0)).toBeGreaterThan(BigInt(rows[i - 1]?.seq ?? 0));
  });

  it('organization admins read their own organization entries, newest first, paged', async () => {
    const ada = await signIn(v, 'ada@acme.example');
    const page1 = await ada.request({ method: 'GET', url: `/api/v1/orgs/${acme}/audit?limit=3` });
    expect(page1.statusCode).toBe(200);
    const body = page1.json() as {
      entries: Array<{ seq: string; actorOrgId: string | null; subjectOrgId: string | null }>;
      next: string;
    };
    expect(body.entries).toHaveLength(3);
    expect(body.entries.every((e) => e.actorOrgId === acme || e.subjectOrgId === acme)).toBe(true);
    const page2 = await ada.request({ method: 'GET', url: `/api/v1/orgs/${acme}/audit?limit=3&before=${body.next}` });
    const seqs2 = (page2.json().entries as Array<{ seq: string }>).map((e) => BigInt(e.seq));
    expect(seqs2.every((s) => s < BigInt(body.next))).toBe(true);
  });

  it('members and other organizations cannot read them', async () => {
    const bob = await signIn(v, 'bob@acme.example');
    expect((await bob.request({ method: 'GET', url: `/api/v1/orgs/${acme}/audit` })).statusCode).toBe(403);
    const gus = await signIn(v, 'gus@globex.example');
    expect((await gus.request({ method: 'GET', url: `/api/v1/orgs/${acme}/audit` })).statusCode).toBe(404);
    const own = (await gus.request({ method: 'GET', url: `/api/v1/orgs/${globex}/audit` })).json() as {
      entries: Array<{ actorOrgId: string | null; subjectOrgId: string | null }>;
    };
    expect(own.entries.some((e) => e.actorOrgId === acme || e.subjectOrgId === acme)).toBe(false);
  });
});

describe('verification', () => {
  it('passes on an untouched log', async () => {
    const res = await verifyAuditChain(v.db);
    expect(res).toMatchObject({ ok: true });
  });

  it('fails at exactly the entry edited in the database, and passes again once restored', async () => {
    const target = await v.db
      .selectFrom('audit_log')
      .select(['seq', 'entry'])
      .where('action', '=', 'org.update')
      .orderBy('seq')
      .offset(2)
      .limit(1)
      .executeTakeFirstOrThrow();
    // The derived columns cannot be edited on their own; an attacker edits the entry itself.
    await expect(sql`UPDATE audit_log SET action = 'org.delete' WHERE seq = ${target.seq}`.execute(v.db)).rejects.toThrow();
    await sql`UPDATE audit_log SET entry = replace(entry, 'org.update', 'org.delete') WHERE seq = ${target.seq}`.execute(v.db);
    const edited = await v.db.selectFrom('audit_log').select('action').where('seq', '=', target.seq).executeTakeFirstOrThrow();
    expect(edited.action).toBe('org.delete');
    const res = await verifyAuditChain(v.db, 4);
    expect(res).toMatchObject({ ok: false, failure: { seq: target.seq, reason: 'hash_mismatch' } });
    await sql`UPDATE audit_log SET entry = ${target.entry} WHERE seq = ${target.seq}`.execute(v.db);
    expect((await verifyAuditChain(v.db, 4)).ok).toBe(true);
  });

  it('catches a deleted tail through the head record', async () => {
    const last = await v.db
      .selectFrom('audit_log')
      .select(['seq', 'entry', 'prev_hash', 'hash'])
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    await v.db.deleteFrom('audit_log').where('seq', '=', last.seq).execute();
    const res = await verifyAuditChain(v.db);
    expect(res).toMatchObject({ ok: false, failure: { seq: last.seq, reason: 'sequence_gap' } });
    await v.db.insertInto('audit_log').values(last).execute();
    expect((await verifyAuditChain(v.db)).ok).toBe(true);
  });

  it('operators verify through the API; nobody else may', async () => {
    const op = await makeOrg(v, 'village-cc', 'coordinator');
    await makeUser(v, op.id, 'olive@village.example', { operator: true, role: 'admin' });
    const olive = await signIn(v, 'olive@village.example');
    const res = await olive.request({ method: 'POST', url: '/api/v1/audit/verify' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true });
    const ada = await signIn(v, 'ada@acme.example');
    expect((await ada.request({ method: 'POST', url: '/api/v1/audit/verify' })).statusCode).toBe(403);
  });
});
