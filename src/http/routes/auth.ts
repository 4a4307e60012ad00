// Sign-in and sign-out with a password (and TOTP or a recovery code when enrolled).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { Problem } from '../../problem.ts';
import { login, logout } from '../../services/auth.ts';
import { metaOf, SESSION_COOKIE } from '../auth.ts';
import { Email, iso, Ok, ProblemSchema, Timestamp } from '../schemas.ts';

export const SessionOut = z.object({
  userId: z.uuid(),
  csrfToken: z.string().describe('Send as X-CSRF-Token on every POST, PUT, PATCH and DELETE'),
  expiresAt: Timestamp,
});

/** The session cookie every sign-in method sets (password here, passkeys in routes/webauthn.ts). */
export const setSessionCookie = (
  ctx: AppContext,
  reply: { setCookie: (n: string, v: string, o: object) => unknown },
  secret: string,
  expires: Date,
) =>
  reply.setCookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    secure: ctx.config.cookieSecure,
    sameSite: 'lax',
    path: '/',
    expires,
  });

export const authRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign in with email and password (plus TOTP or a recovery code when enrolled)',
          body: z.strictObject({
            email: Email,
            password: z.string().min(1).max(1024),
            totp: z
              .string()
              .regex(/^\d{6}$/)
              .optional(),
            recoveryCode: z.string().min(8).max(64).optional(),
          }),
          response: { 200: SessionOut, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 429: ProblemSchema },
        },
      },
      async (req, reply) => {
        // Cross-site login forgery: a browser always sends Origin on a cross-site POST.
        const origin = req.headers.origin;
        if (origin !== undefined && origin !== ctx.config.publicUrl) {
          throw new Problem(403, 'bad-origin', 'Cross-origin sign-in refused', `Origin ${origin} is not this instance.`);
        }
        const s = await login(ctx, metaOf(req), req.body);
        setSessionCookie(ctx, reply, s.secret, s.expiresAt);
        return { userId: s.userId, csrfToken: s.csrfToken, expiresAt: iso(s.expiresAt) };
      },
    );

    app.post(
      '/auth/logout',
      {
        schema: { tags: ['auth'], summary: 'End this session', response: { 200: Ok, 403: ProblemSchema } },
      },
      async (req, reply) => {
        if (req.sessionId) await logout(ctx, metaOf(req), req.sessionId);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true as const };
      },
    );
  };
