// zod schemas shared by routes; they validate requests and become the OpenAPI document.
import { z } from 'zod';
import { TOKEN_SCOPES } from '../domain/policy.ts';

export const Uuid = z.uuid();
export const IdParams = z.strictObject({ id: Uuid });
export const Timestamp = z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp (UTC)');
export const Email = z.email().max(320);
export const Password = z.string().min(12).max(1024).describe('At least 12 characters');
export const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes, 2 to 63 characters');
export const OrgKind = z.enum(['coordinator', 'vendor', 'researcher', 'cert', 'other']);
export const OrgRole = z.enum(['admin', 'member']);
export const ScopeSchema = z.enum(TOKEN_SCOPES);

export const Ok = z.object({ ok: z.literal(true) });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details (application/problem+json)');

export const iso = (d: Date): string => d.toISOString();
export const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const OrgOut = z.object({
  id: Uuid,
  slug: z.string(),
  name: z.string(),
  kind: OrgKind,
  securityTxtUrl: z.string().nullable(),
  country: z.string().nullable().describe('ISO 3166-1 alpha-2'),
  createdAt: Timestamp,
});

export const UserOut = z.object({
  id: Uuid,
  orgId: Uuid,
  email: z.string(),
  displayName: z.string(),
  orgRole: OrgRole,
  isOperator: z.boolean(),
  totpEnabled: z.boolean(),
  disabled: z.boolean(),
  createdAt: Timestamp,
});

export const TokenOut = z.object({
  id: Uuid,
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});

/** Error responses every authenticated route can give, for the OpenAPI document. */
export const authErrors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema } as const;

/** For PATCH bodies: an update that names no field is a mistake, not a no-op to audit. */
export const nonEmpty = (o: object): boolean => Object.values(o).some((v) => v !== undefined);
export const NOTHING_TO_CHANGE = { message: 'name at least one field to change' } as const;
