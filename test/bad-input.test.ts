// Bad input on every API route, discovered from /openapi.json: malformed JSON, a wrong type for
// each property (nested ones too), unknown fields, an oversized body, the wrong content type, an
// empty body, malformed path parameters and query strings. Every answer must be a 4xx
// application/problem+json whose `type` is a village problem URI and whose `status` matches, with
// validation errors naming the field; never a 500. And none of it may write anything.
// Requests come from a signed-in operator session, so authentication and authorization pass.
import { randomBytes, randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, makeUser, type Session, signIn, startTestVillage } from './support/app.ts';
import {
  type JsonSchema,
  listApiRoutes,
  type OpenApiOperation,
  type OpenApiParameter,
  openApiOperations,
  routeKey,
  wrongTypeFor,
} from './support/routes.ts';

const BODY_LIMIT = 2048;
const UNKNOWN = 'zzUnknownField';
/** Bigger than any route's own body limit (uploads allow up to 30 MiB). */
const HUGE = JSON.stringify({ pad: 'x'.repeat(32 * 1024 * 1024) });

// One village for the file. It starts while the tests are collected: the cases are generated
// from the running app's OpenAPI document.
const v = await startTestVillage({
  workers: false,
  env: { VILLAGE_BODY_LIMIT_BYTES: String(BODY_LIMIT), VILLAGE_LOGIN_IP_LIMIT: '100000' },
});
afterAll(async () => v.close());
const OPS = (await openApiOperations(v.app)).filter((op) => op.url.startsWith('/api/'));

let op: Session;
let snapshot: Record<string, number>;

/** Row counts of every table in the public schema, and the audit chain head. */
async function counts(): Promise<Record<string, number>> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(v.db);
  const out: Record<string, number> = {};
  for (const { table_name } of tables.rows) {
    const r = await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(table_name)}`.execute(v.db);
    out[table_name] = Number(r.rows[0]?.n ?? -1);
  }
  const head = await v.db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirstOrThrow();
  out['audit_head.seq'] = Number(head.seq);
  return out;
}

beforeAll(async () => {
  const coordinators = await makeOrg(v, 'coordinators', 'coordinator');
  await makeUser(v, coordinators.id, 'operator@village.example', { operator: true, role: 'admin' });
  op = await signIn(v, 'operator@village.example');
  snapshot = await counts();
});

// --- building requests --------------------------------------------------------------------------

const matches = (schema: JsonSchema, value: string): boolean => {
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) return false;
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) return false;
  if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return false;
  if (schema.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return false;
  return true;
};

/** A value a path parameter's schema accepts (so the case under test is the only thing wrong). */
function validParam(p: OpenApiParameter): string {
  if (p.schema.type === 'integer' || p.schema.type === 'number') return '1';
  const candidates = [randomUUID(), randomBytes(32).toString('hex'), 'abc', '1'];
  const ok = candidates.find((c) => matches(p.schema, c));
  if (!ok) throw new Error(`no sample value for path parameter ${p.name}: add one to validParam()`);
  return ok;
}

function urlOf(o: OpenApiOperation, override: Record<string, string> = {}): string {
  let url = o.url;
  for (const p of o.parameters.filter((x) => x.in === 'path')) url = url.replace(`:${p.name}`, override[p.name] ?? validParam(p));
  return url;
}

const bodySchema = (o: OpenApiOperation): JsonSchema | undefined => o.requestBody?.content['application/json']?.schema;

/** The object schema inside a schema (itself, or an object branch of anyOf/oneOf). */
function objectSchema(s: JsonSchema): JsonSchema | undefined {
  if (s.properties || s.type === 'object') return s;
  return [...(s.anyOf ?? []), ...(s.oneOf ?? [])].find((b) => b.properties || b.type === 'object');
}

/**
 * The discriminator of a union branch: required properties with a single allowed value (`kind:
 * "sponsors"`), so that a nested case reaches the property under test instead of failing on the tag.
 */
function discriminators(s: JsonSchema | undefined): Record<string, unknown> {
  const obj = s && objectSchema(s);
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(obj?.properties ?? {})) {
    const one = sub as JsonSchema & { const?: unknown; enum?: unknown[] };
    if (!obj?.required?.includes(k)) continue;
    if ('const' in one) out[k] = one.const;
    else if (Array.isArray(one.enum) && one.enum.length === 1) out[k] = one.enum[0];
  }
  return out;
}

/** { a: { b: value } } for path [a, b], with each level's union discriminator filled in. */
function nest(schema: JsonSchema, path: string[], value: unknown): unknown {
  const [key, ...rest] = path;
  if (key === undefined) {
    return value && typeof value === 'object' && !Array.isArray(value) ? { ...discriminators(schema), ...value } : value;
  }
  const sub = objectSchema(schema)?.properties?.[key] ?? {};
  return { ...discriminators(schema), [key]: nest(sub, rest, value) };
}

/** Every property (at any depth) paired with a value of a JSON type its schema does not accept. */
function wrongTypeCases(schema: JsonSchema, path: string[] = [], depth = 0): Array<{ path: string[]; value: unknown }> {
  const obj = objectSchema(schema);
  if (!obj?.properties || depth > 3) return [];
  return Object.entries(obj.properties).flatMap(([key, sub]) => {
    const wrong = wrongTypeFor(sub);
    const here = wrong === undefined ? [] : [{ path: [...path, key], value: wrong }];
    return [...here, ...wrongTypeCases(sub, [...path, key], depth + 1)];
  });
}

/** Every strict object (at any depth): where an unknown key must be refused. */
function strictObjectPaths(schema: JsonSchema, path: string[] = [], depth = 0): string[][] {
  const obj = objectSchema(schema);
  if (!obj || depth > 3) return [];
  const here = obj.additionalProperties === false ? [path] : [];
  return [
    ...here,
    ...Object.entries(obj.properties ?? {}).flatMap(([k, sub]) => strictObjectPaths(sub, [...path, k], depth + 1)),
  ];
}

/** Sends as the operator session (cookie + CSRF token). */
const send = (opts: InjectOptions): Promise<LightMyRequestResponse> => op.request(opts);

interface ProblemJson {
  type: string;
  title: string;
  status: number;
  errors?: Array<{ field: string; message: string }>;
}

/** 4xx problem+json with a village type and a matching status; the parsed body. */
function expectProblem(res: LightMyRequestResponse, what: string, status?: number | number[]): ProblemJson {
  const label = `${what}: ${res.statusCode} ${res.body.slice(0, 500)}`;
  expect(res.statusCode, label).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, label).toBeLessThan(500);
  if (status !== undefined) expect([status].flat(), label).toContain(res.statusCode);
  expect(res.headers['content-type'], label).toMatch(/^application\/problem\+json/);
  const body = res.json() as ProblemJson;
  expect(body.type, label).toMatch(/^urn:village:problem:[a-z0-9-]+$/);
  expect(body.status, label).toBe(res.statusCode);
  expect(typeof body.title, label).toBe('string');
  return body;
}

/** A 400 validation error whose errors name the field. */
function expectFieldError(res: LightMyRequestResponse, what: string, field: string): void {
  const body = expectProblem(res, what, 400);
  expect(body.type, what).toBe('urn:village:problem:validation-error');
  expect(Array.isArray(body.errors), what).toBe(true);
  const fields = (body.errors ?? []).map((e) => e.field);
  expect(fields, `${what}: errors ${JSON.stringify(body.errors)}`).toContain(field);
  for (const e of body.errors ?? []) expect(typeof e.message).toBe('string');
}

const label = (o: OpenApiOperation) => `${o.method} ${o.url}`;
const BODY_OPS = OPS.filter((o) => bodySchema(o));
const PARAM_OPS = OPS.filter((o) => o.parameters.some((p) => p.in === 'path'));
const QUERY_OPS = OPS.filter((o) => o.parameters.some((p) => p.in === 'query'));

// --- the cases --------------------------------------------------------------------------------------

describe('discovery', () => {
  it('finds the API in /openapi.json, and every /api route served is documented there', () => {
    expect(BODY_OPS.length).toBeGreaterThan(5);
    expect(PARAM_OPS.length).toBeGreaterThan(3);
    expect(QUERY_OPS.length).toBeGreaterThan(0);
    const documented = new Set(OPS.map((o) => routeKey(o.method, o.url)));
    const undocumented = listApiRoutes(v.app)
      .map((r) => routeKey(r.method, r.url))
      .filter((k) => !documented.has(k));
    expect(undocumented, 'API routes missing from /openapi.json (not covered by these tests)').toEqual([]);
  });

  it.each(BODY_OPS.map((o) => [label(o), o] as const))('%s: the request body is a strict JSON object', (_l, o) => {
    const schema = bodySchema(o) as JsonSchema;
    expect(objectSchema(schema)?.additionalProperties).toBe(false);
  });
});

describe.each(BODY_OPS.map((o) => [label(o), o] as const))('%s', (name, o) => {
  const schema = bodySchema(o) as JsonSchema;
  const url = () => urlOf(o);
  const json = { 'content-type': 'application/json' };

  it('malformed JSON → 400 malformed-json', async () => {
    const res = await send({ method: o.method, url: url(), headers: json, payload: '{"broken": ' });
    expect(expectProblem(res, name, 400).type).toBe('urn:village:problem:malformed-json');
  });

  it.runIf(o.method === 'PATCH')('an empty object changes nothing → 400 naming the body', async () => {
    const res = await send({ method: o.method, url: url(), headers: json, payload: '{}' });
    expectFieldError(res, `${name} {}`, 'body');
  });

  it('JSON that is not an object → 400 naming the body', async () => {
    for (const payload of ['[]', '"text"', '42', 'null']) {
      const res = await send({ method: o.method, url: url(), headers: json, payload });
      expectFieldError(res, `${name} ${payload}`, 'body');
    }
  });

  it('an empty body with Content-Type: application/json → 400', async () => {
    const res = await send({ method: o.method, url: url(), headers: json, payload: '' });
    expect(expectProblem(res, name, 400).type).toBe('urn:village:problem:malformed-json');
  });

  // No body at all is read as an empty object: the answer names the required fields it lacks.
  // (A body whose every field is optional is complete when empty: logout everywhere, say.)
  it.runIf(o.requestBody?.required && ((bodySchema(o) as { required?: string[] }).required?.length ?? 0) > 0)(
    'no body at all → 400 naming the missing fields',
    async () => {
      const res = await send({ method: o.method, url: url() });
      const body = expectProblem(res, name, 400);
      expect(body.type, name).toBe('urn:village:problem:validation-error');
      const fields = (body.errors ?? []).map((e) => e.field);
      expect(fields.length, `${name}: ${JSON.stringify(body.errors)}`).toBeGreaterThan(0);
      for (const f of fields) expect(f.startsWith('body.'), `${name}: ${f}`).toBe(true);
    },
  );

  it(`a body over the instance's ${BODY_LIMIT}-byte limit → 413, unless the route sets a larger one`, async () => {
    const payload = JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT * 2) });
    const res = await send({ method: o.method, url: url(), headers: json, payload });
    const body = expectProblem(res, name, [413, 400]);
    if (res.statusCode === 413) expect(body.type).toBe('urn:village:problem:body-too-large');
    // A route with its own larger limit (file uploads) parsed it, and refuses the unknown field.
    else expectFieldError(res, name, 'body.pad');
  });

  it(`a body over every limit (${HUGE.length} bytes) → 413`, async () => {
    const res = await send({ method: o.method, url: url(), headers: json, payload: HUGE });
    expect(expectProblem(res, name, 413).type).toBe('urn:village:problem:body-too-large');
  });

  it('a body over the limit with a lying Content-Length → 4xx', async () => {
    const res = await send({
      method: o.method,
      url: url(),
      headers: { ...json, 'content-length': '10' },
      payload: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT * 2) }),
    });
    expectProblem(res, name);
  });

  it.each([
    ['text/plain', 'hello'],
    ['text/plain', '{}'],
    ['application/x-www-form-urlencoded', 'a=1&b=2'],
    ['application/xml', '<a/>'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('Content-Type %s → 4xx problem', async (type, payload) => {
    const res = await send({ method: o.method, url: url(), headers: { 'content-type': type }, payload });
    expect([400, 415]).toContain(expectProblem(res, `${name} as ${type}`).status);
  });

  const typeCases = wrongTypeCases(schema);
  it.runIf(typeCases.length > 0).each(typeCases.map((c) => [c.path.join('.'), c.value] as const))(
    'body.%s of the wrong type (%j) → 400 naming it',
    async (path, value) => {
      const res = await send({ method: o.method, url: url(), payload: nest(schema, path.split('.'), value) as object });
      expectFieldError(res, `${name} ${path}=${JSON.stringify(value)}`, `body.${path}`);
    },
  );

  const strictPaths = strictObjectPaths(schema);
  it.each(strictPaths.map((p) => [['body', ...p, UNKNOWN].join('.'), p] as const))(
    'an unknown field %s → 400 naming it',
    async (field, path) => {
      const res = await send({ method: o.method, url: url(), payload: nest(schema, path, { [UNKNOWN]: 1 }) as object });
      expectFieldError(res, `${name} ${field}`, field);
    },
  );
});

// Up to Fastify's maxParamLength (100); longer ones are the framework-level case below.
const BAD_PARAMS = ['not-a-uuid', '1', 'x'.repeat(100), '%00', "1' OR '1'='1", '00000000-0000-0000-0000-00000000000g', ' '];
/** Path parameters some of those values are malformed for (a reply-link token takes any short string). */
const malformable = (o: OpenApiOperation) =>
  o.parameters.filter((p) => p.in === 'path' && BAD_PARAMS.some((b) => !matches(p.schema, b)));

describe.each(PARAM_OPS.filter((o) => malformable(o).length).map((o) => [label(o), o] as const))('%s', (name, o) => {
  const bad = BAD_PARAMS;
  const testable = malformable(o);
  it.each(testable.map((p) => [p.name, p] as const))('a malformed path parameter %s → 400 naming it', async (pname, p) => {
    for (const value of bad.filter((b) => !matches(p.schema, b))) {
      const res = await send({
        method: o.method,
        url: urlOf(o, { [pname]: encodeURIComponent(value) }),
        ...(bodySchema(o) ? { payload: {} } : {}),
      });
      expectFieldError(res, `${name} ${pname}=${value}`, `params.${pname}`);
    }
  });
});

describe.each(QUERY_OPS.map((o) => [label(o), o] as const))('%s', (name, o) => {
  const query = o.parameters.filter((p) => p.in === 'query');
  const wrongValues = (p: OpenApiParameter): string[] => {
    const t = [p.schema.type ?? []].flat();
    if (t.includes('integer')) return ['abc', '1.5', '-1', '99999999999999999999999'];
    if (t.includes('number')) return ['abc'];
    if (t.includes('boolean')) return ['maybe'];
    if (p.schema.pattern || p.schema.enum) return ['not valid!', 'x'.repeat(100)];
    return [];
  };
  it.each(query.filter((p) => wrongValues(p).length).map((p) => [p.name, p] as const))(
    'query parameter %s of the wrong type or form → 400 naming it',
    async (qname, p) => {
      for (const value of wrongValues(p)) {
        const res = await send({ method: o.method, url: `${urlOf(o)}?${qname}=${encodeURIComponent(value)}` });
        // A well-formed but unknown id may then be a 404; the query must fail first.
        expectFieldError(res, `${name} ?${qname}=${value}`, `querystring.${qname}`);
      }
    },
  );
  it('an unknown query parameter → 400 naming it', async () => {
    const res = await send({ method: o.method, url: `${urlOf(o)}?${UNKNOWN}=1` });
    expectFieldError(res, `${name} ?${UNKNOWN}`, `querystring.${UNKNOWN}`);
  });
  it('a repeated query parameter → 4xx, not a 500', async () => {
    for (const p of query) {
      const res = await send({ method: o.method, url: `${urlOf(o)}?${p.name}=1&${p.name}=2` });
      if (res.statusCode >= 400) expectProblem(res, `${name} ?${p.name} twice`);
      else expect(res.statusCode).toBeLessThan(500);
    }
  });
});

// Errors Fastify's router raises before any route runs: a path parameter longer than
// maxParamLength (414) and a URL with broken percent-encoding (400); buildServer() turns them into
// problem+json through Fastify's `frameworkErrors` option.
describe('URLs the router itself refuses', () => {
  const cases = PARAM_OPS.flatMap((o) => {
    const first = o.parameters.find((p) => p.in === 'path')?.name ?? '';
    return [
      { o, url: urlOf(o, { [first]: 'x'.repeat(101) }), why: 'a path parameter over 100 characters' },
      { o, url: urlOf(o, { [first]: '%E0%A4%A' }), why: 'broken percent-encoding' },
    ];
  });
  it('never answer a 500', async () => {
    for (const { o, url } of cases) {
      const res = await send({ method: o.method, url, ...(bodySchema(o) ? { payload: {} } : {}) });
      expect(res.statusCode, `${o.method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${o.method} ${url}`).toBeLessThan(500);
    }
  });
  it('answer problem+json', async () => {
    for (const { o, url, why } of cases) {
      const res = await send({ method: o.method, url, ...(bodySchema(o) ? { payload: {} } : {}) });
      expectProblem(res, `${o.method} ${o.url} with ${why}`);
    }
  });
});

describe('after all of it', () => {
  it('nothing was written: every table and the audit chain head are unchanged', async () => {
    expect(await counts()).toEqual(snapshot);
  });
});
