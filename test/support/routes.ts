// Route discovery for table-driven tests: every route the running app serves, parsed from
// Fastify's route tree, and every operation of its OpenAPI document. Tests compare their tables
// with these lists so a route added later cannot slip past them untested.
import type { FastifyInstance } from 'fastify';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export const UNSAFE_METHODS: readonly Method[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

export interface RouteEntry {
  method: string;
  /** The URL pattern as Fastify spells it: /api/v1/orgs/:id */
  url: string;
}

export const routeKey = (method: string, url: string): string => `${method.toUpperCase()} ${url}`;

/** /api/v1/orgs/{id} → /api/v1/orgs/:id */
export const fromOpenApiPath = (p: string): string => p.replace(/\{([^}]+)\}/g, ':$1');

/** Not part of the API under test: Swagger UI's static files and the OpenAPI document itself. */
export const isDocsRoute = (url: string): boolean => url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');

/**
 * Every route registered on the app, from printRoutes({ commonPrefix: false }), which draws a tree:
 *   ├── /api/v1/me (GET, HEAD)
 *   │   ├── /password (POST)
 * Each line's depth is its indentation (four columns a level); its path is its parent's plus its own
 * segment. HEAD is left out where the route also has GET (Fastify adds it for every GET route).
 */
export function listRoutes(app: FastifyInstance): RouteEntry[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const parents: string[] = [];
  const found = new Map<string, Set<string>>();
  for (const line of tree.split('\n')) {
    const branch = line.search(/[├└]── /);
    if (branch < 0) continue;
    const depth = Math.round(branch / 4);
    const m = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(branch + 4).trimEnd());
    if (!m) continue;
    const path = (depth > 0 ? (parents[depth - 1] ?? '') : '') + (m[1] ?? '');
    parents[depth] = path;
    parents.length = depth + 1;
    if (!m[2]) continue;
    const methods = found.get(path) ?? new Set<string>();
    for (const method of m[2].split(',')) methods.add(method.trim());
    found.set(path, methods);
  }
  const out: RouteEntry[] = [];
  for (const [url, methods] of found) {
    for (const method of methods) {
      if (method === 'HEAD' && methods.has('GET')) continue;
      out.push({ method, url });
    }
  }
  if (out.length === 0) throw new Error(`could not parse the route tree:\n${tree}`);
  return out.sort((a, b) => routeKey(a.method, a.url).localeCompare(routeKey(b.method, b.url)));
}

/** The /api routes: what access and input tests must cover. */
export const listApiRoutes = (app: FastifyInstance): RouteEntry[] => listRoutes(app).filter((r) => r.url.startsWith('/api/'));

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  default?: unknown;
  [k: string]: unknown;
}

export interface OpenApiParameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  method: Method;
  /** Fastify form (/api/v1/orgs/:id) */
  url: string;
  parameters: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
}

/** Every operation in the app's /openapi.json. */
export async function openApiOperations(app: FastifyInstance): Promise<OpenApiOperation[]> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`GET /openapi.json: ${res.statusCode}`);
  const doc = res.json() as { paths: Record<string, Record<string, Omit<OpenApiOperation, 'method' | 'url'>>> };
  const ops: OpenApiOperation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      ops.push({
        method: method.toUpperCase() as Method,
        url: fromOpenApiPath(path),
        parameters: op.parameters ?? [],
        ...(op.requestBody ? { requestBody: op.requestBody } : {}),
      });
    }
  }
  return ops;
}

/** The JSON types a schema accepts (string, number, integer, boolean, array, object, null). */
export function acceptedTypes(schema: JsonSchema): Set<string> {
  const out = new Set<string>();
  const add = (s: JsonSchema) => {
    for (const t of [s.type ?? []].flat()) out.add(t);
    for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) add(sub);
    for (const v of [...(s.enum ?? []), ...('const' in s ? [s.const] : [])]) out.add(jsonType(v));
  };
  add(schema);
  if (out.has('integer')) out.add('number');
  return out;
}

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** A value of a JSON type the schema does not accept, or undefined when it accepts anything. */
export function wrongTypeFor(schema: JsonSchema): unknown {
  const accepted = acceptedTypes(schema);
  if (accepted.size === 0) return undefined;
  const candidates: unknown[] = [12345, 'not-the-right-type', true, [1, 2], { nested: 1 }, null];
  return candidates.find((c) => !accepted.has(jsonType(c)));
}
