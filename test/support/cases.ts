// Helpers for building and reading cases over HTTP in tests: a small client that names who is
// calling in every failed expectation, organizations with a signed-in admin, the public intake,
// and the comparisons the access tests make (a hidden 404 is the same body as a random id's).
import { randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { OrgKind } from '../../src/store/schema.ts';
import { makeOrg, makeUser, type Session, signIn, type TestVillage } from './app.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Json = Record<string, unknown> | unknown[];

/** Someone who calls the API: a signed-in session, or nobody (optionally with extra headers). */
export class Api {
  constructor(
    readonly name: string,
    private readonly send: (o: InjectOptions) => Promise<LightMyRequestResponse>,
  ) {}

  static session(name: string, s: Session): Api {
    return new Api(name, (o) => s.request(o));
  }

  static anonymous(v: TestVillage, name = 'anonymous', headers: Record<string, string> = {}): Api {
    return new Api(name, (o) => v.app.inject({ ...o, headers: { ...headers, ...(o.headers as Record<string, string>) } }));
  }

  raw(method: Method, url: string, payload?: Json, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.send({ method, url, ...(payload !== undefined ? { payload } : {}), ...(headers ? { headers } : {}) });
  }

  /** Sends and expects a status; returns the parsed JSON body. */
  async expect<T = unknown>(status: number, method: Method, url: string, payload?: Json): Promise<T> {
    const res = await this.raw(method, url, payload);
    expect(res.statusCode, `${this.name} ${method} ${url}: ${res.body}`).toBe(status);
    return (res.body ? res.json() : undefined) as T;
  }

  get<T = unknown>(url: string): Promise<T> {
    return this.expect<T>(200, 'GET', url);
  }

  post<T = unknown>(url: string, payload?: Json, status = 200): Promise<T> {
    return this.expect<T>(status, 'POST', url, payload ?? {});
  }

  put<T = unknown>(url: string, payload: Json, status = 200): Promise<T> {
    return this.expect<T>(status, 'PUT', url, payload);
  }

  delete<T = unknown>(url: string, payload: Json, status = 200): Promise<T> {
    return this.expect<T>(status, 'DELETE', url, payload);
  }
}

export interface Party {
  slug: string;
  orgId: string;
  userId: string;
  api: Api;
}

/** An organization with one admin user, signed in (argon2: ~100 ms each). */
export async function partyWithAdmin(v: TestVillage, slug: string, kind: OrgKind = 'vendor'): Promise<Party> {
  const org = await makeOrg(v, slug, kind);
  const email = `admin@${slug}.example`;
  const user = await makeUser(v, org.id, email, { role: 'admin' });
  const session = await signIn(v, email);
  return { slug, orgId: org.id, userId: user.id, api: Api.session(slug, session) };
}

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

export interface ReportInput {
  title: string;
  description: string;
  reporterEmail: string;
  creditConsent: boolean;
  [k: string]: unknown;
}

export interface SubmittedReport {
  id: string;
  ref: string;
  replyToken: string;
  replyUrl: string;
}

/** The public intake, as a reporter without an account (each address is limited per hour). */
export async function submitReport(v: TestVillage, input: ReportInput, remoteAddress = '192.0.2.10'): Promise<SubmittedReport> {
  const res = await v.app.inject({ method: 'POST', url: '/api/v1/reports', payload: input, remoteAddress });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Opens a case from validated reports (coordinator). */
export async function openCase(
  coordinator: Api,
  input: { title: string; reportIds?: string[]; ackHours?: number; summary?: string },
): Promise<{ id: string; ref: string }> {
  return coordinator.post('/api/v1/cases', { reportIds: [], ...input }, 201);
}

/** Invites an organization (coordinator); returns the participant id. */
export async function invite(
  coordinator: Api,
  caseId: string,
  orgId: string,
  opts: { role?: 'vendor' | 'other' | 'reporter'; tlpCeiling?: string } = {},
): Promise<string> {
  const body = { orgId, role: opts.role ?? 'vendor', ...(opts.tlpCeiling ? { tlpCeiling: opts.tlpCeiling } : {}) };
  return (await coordinator.post<{ participantId: string }>(`/api/v1/cases/${caseId}/participants`, body, 201)).participantId;
}

/** A problem body without the parts that differ per request. */
export function stripProblem(body: unknown): Record<string, unknown> {
  const { instance: _i, requestId: _r, ...rest } = body as Record<string, unknown>;
  return rest;
}

/**
 * Expects a denial that reveals nothing: a 404 problem whose body (but for instance and request
 * id) equals the one `reference` gets, e.g. the same route with a random uuid.
 */
export function expectHidden(res: LightMyRequestResponse, reference: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(404);
  expect(reference.statusCode, `${what} (reference): ${reference.body}`).toBe(404);
  expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  expect(stripProblem(res.json()), what).toEqual(stripProblem(reference.json()));
  expect(res.json().type, what).toBe('urn:village:problem:not-found');
}

/** Expects a 409 problem+json. */
export function expectConflict(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(409);
  expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  expect(res.json(), what).toMatchObject({ type: 'urn:village:problem:conflict', status: 409 });
}

export const randomId = (): string => randomUUID();

/** The audit chain's head sequence number. */
export async function auditSeq(v: TestVillage): Promise<number> {
  const h = await v.db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirstOrThrow();
  return Number(h.seq);
}

/**
 * Everything an illegal transition must leave alone: the case row, its participants, the embargo
 * event log, the timeline, the report rows of the case (and any extra reports named), and the
 * audit chain's head.
 */
export async function caseSnapshot(v: TestVillage, caseId: string, reportIds: string[] = []) {
  const [cases, participants, embargo, events, reports, head] = await Promise.all([
    v.db.selectFrom('cases').selectAll().where('id', '=', caseId).execute(),
    v.db.selectFrom('case_participants').selectAll().where('case_id', '=', caseId).orderBy('id').execute(),
    v.db.selectFrom('embargo_events').selectAll().where('case_id', '=', caseId).orderBy('seq').execute(),
    sql<{ n: string }>`SELECT count(*)::text AS n FROM case_events WHERE case_id = ${caseId}`.execute(v.db),
    v.db
      .selectFrom('reports')
      .select(['id', 'rm_state', 'case_id', 'updated_at'])
      .where((eb) => eb.or([eb('case_id', '=', caseId), ...(reportIds.length ? [eb('id', 'in', reportIds)] : [])]))
      .orderBy('id')
      .execute(),
    auditSeq(v),
  ]);
  const reportEvents = reports.length
    ? await sql<{
        n: string;
      }>`SELECT count(*)::text AS n FROM report_events WHERE report_id = ANY(${reports.map((r) => r.id)}::uuid[])`.execute(v.db)
    : { rows: [{ n: '0' }] };
  return {
    cases,
    participants,
    embargo,
    timelineEntries: events.rows[0]?.n,
    reports,
    reportEvents: reportEvents.rows[0]?.n,
    auditSeq: head,
  };
}

export interface TimelineEntry {
  id: string;
  at: string;
  kind: string;
  summary: string;
  actorOrgId: string | null;
  data: Record<string, unknown>;
}

/** Whether `needles` occur in `haystack` in this order (not necessarily next to each other). */
export function inOrder(haystack: readonly string[], needles: readonly string[]): boolean {
  let i = 0;
  for (const h of haystack) if (h === needles[i]) i++;
  return i === needles.length;
}
