// The signed-in user's own account: profile, password, second factors, API tokens, sessions.
// These need a session: an API token cannot mint tokens or change credentials.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { changePassword, listSessions, revokeSession } from '../../services/account.ts';
import { logoutEverywhere } from '../../services/auth.ts';
import { getOrganization, getUser } from '../../services/organizations.ts';
import { createToken, listTokens, MAX_TOKEN_DAYS, revokeToken } from '../../services/tokens.ts';
import { confirmTotp, disableTotp, regenerateRecoveryCodes, startTotpEnrolment } from '../../services/totp.ts';
import { authorize, authorizeSelf, metaOf, SESSION_COOKIE } from '../auth.ts';
import {
  authErrors,
  iso,
  isoOrNull,
  Ok,
  OrgOut,
  Password,
  ProblemSchema,
  ScopeSchema,
  Timestamp,
  TokenOut,
  UserOut,
} from '../schemas.ts';

const Code = z.strictObject({ code: z.string().regex(/^\d{6}$/, 'six digits') });
const RecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });

export const accountRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const self = authorizeSelf;
    const tags = ['account'];

    app.get(
      '/me',
      {
        schema: {
          tags,
          summary: 'The signed-in user, their organization, and (for a session) the CSRF token',
          response: {
            200: z.object({
              user: UserOut,
              organization: OrgOut,
              csrfToken: z.string().nullable(),
              via: z.enum(['session', 'token']),
            }),
            401: ProblemSchema,
          },
        },
      },
      async (req) => {
        const actor = authorize(req, 'instance.read', { type: 'instance' });
        const user = await getUser(ctx, actor.userId);
        const org = await getOrganization(ctx, actor.orgId);
        if (!user || !org) throw new Error('actor without user or organization');
        return {
          user: { ...user, createdAt: iso(user.createdAt) },
          organization: { ...org, createdAt: iso(org.createdAt) },
          csrfToken: req.csrfToken ?? null,
          via: actor.via,
        };
      },
    );

    app.post(
      '/me/password',
      {
        schema: {
          tags,
          summary: 'Change password (ends every other session)',
          body: z.strictObject({ currentPassword: z.string().min(1).max(1024), newPassword: Password }),
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        const actor = self(req);
        await changePassword(ctx, metaOf(req), actor.userId, req.sessionId, req.body);
        return { ok: true as const };
      },
    );

    app.post(
      '/me/logout-everywhere',
      {
        schema: {
          tags,
          summary: 'End every session of this user, optionally revoking every API token too',
          body: z.strictObject({ revokeTokens: z.boolean().default(false) }).default({ revokeTokens: false }),
          response: { 200: z.object({ sessions: z.number().int(), tokens: z.number().int() }), ...authErrors },
        },
      },
      async (req, reply) => {
        const actor = self(req);
        const res = await logoutEverywhere(ctx, metaOf(req), actor.userId, { revokeTokens: req.body.revokeTokens });
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return res;
      },
    );

    const SessionOut = z.object({
      id: z.string(),
      current: z.boolean(),
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      mfa: z.boolean(),
      createdAt: Timestamp,
      lastSeenAt: Timestamp,
      expiresAt: Timestamp,
    });

    app.get(
      '/me/sessions',
      { schema: { tags, summary: 'Active sessions', response: { 200: z.array(SessionOut), ...authErrors } } },
      async (req) => {
        const actor = self(req);
        const rows = await listSessions(ctx, actor.userId, req.sessionId);
        return rows.map((s) => ({
          ...s,
          createdAt: iso(s.createdAt),
          lastSeenAt: iso(s.lastSeenAt),
          expiresAt: iso(s.expiresAt),
        }));
      },
    );

    app.delete(
      '/me/sessions/:id',
      {
        schema: {
          tags,
          summary: 'End one session',
          params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{64}$/) }),
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        const actor = self(req);
        await revokeSession(ctx, metaOf(req), actor.userId, req.params.id);
        return { ok: true as const };
      },
    );

    app.get(
      '/me/tokens',
      { schema: { tags, summary: 'API tokens (never the secret)', response: { 200: z.array(TokenOut), ...authErrors } } },
      async (req) => {
        const actor = self(req);
        return (await listTokens(ctx, actor.userId)).map((t) => ({
          ...t,
          createdAt: iso(t.createdAt),
          expiresAt: iso(t.expiresAt),
          lastUsedAt: isoOrNull(t.lastUsedAt),
          revokedAt: isoOrNull(t.revokedAt),
        }));
      },
    );

    app.post(
      '/me/tokens',
      {
        schema: {
          tags,
          summary: 'Create an API token; the secret is shown only in this response',
          body: z.strictObject({
            name: z.string().min(1).max(100),
            scopes: z.array(ScopeSchema).min(1).max(20),
            expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).default(90),
          }),
          response: { 201: z.object({ token: z.string(), info: TokenOut }), ...authErrors },
        },
      },
      async (req, reply) => {
        const actor = self(req);
        const { token, view } = await createToken(ctx, metaOf(req), actor.userId, req.body);
        reply.code(201);
        return {
          token,
          info: {
            ...view,
            createdAt: iso(view.createdAt),
            expiresAt: iso(view.expiresAt),
            lastUsedAt: isoOrNull(view.lastUsedAt),
            revokedAt: isoOrNull(view.revokedAt),
          },
        };
      },
    );

    app.delete(
      '/me/tokens/:id',
      {
        schema: {
          tags,
          summary: 'Revoke an API token',
          params: z.strictObject({ id: z.uuid() }),
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        const actor = self(req);
        await revokeToken(ctx, metaOf(req), actor.userId, req.params.id);
        return { ok: true as const };
      },
    );

    app.post(
      '/me/totp/enrol',
      {
        schema: {
          tags,
          summary: 'Start TOTP enrolment: returns the secret and an otpauth:// URI for an authenticator app',
          response: { 200: z.object({ secret: z.string(), otpauthUri: z.string() }), 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => startTotpEnrolment(ctx, metaOf(req), self(req).userId),
    );

    app.post(
      '/me/totp/confirm',
      {
        schema: {
          tags,
          summary: 'Confirm TOTP with a code; returns ten one-time recovery codes, shown once',
          body: Code,
          response: { 200: RecoveryCodes, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => confirmTotp(ctx, metaOf(req), self(req).userId, req.body.code),
    );

    app.post(
      '/me/totp/disable',
      {
        schema: {
          tags,
          summary: 'Disable TOTP (needs a current code)',
          body: Code,
          response: { 200: Ok, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        await disableTotp(ctx, metaOf(req), self(req).userId, req.body.code);
        return { ok: true as const };
      },
    );

    app.post(
      '/me/recovery-codes',
      {
        schema: {
          tags,
          summary: 'Replace the recovery codes; the old ones stop working',
          response: { 200: RecoveryCodes, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => ({ recoveryCodes: await regenerateRecoveryCodes(ctx, metaOf(req), self(req).userId) }),
    );
  };
