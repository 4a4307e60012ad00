// Who is calling: a bearer API token, a session cookie, or nobody. Also the CSRF check for
// cookie-authenticated writes, and the authorize() helper routes use to ask the policy module.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext, RequestMeta } from '../context.ts';
import { safeEqual } from '../crypto/secrets.ts';
import { type Action, type Actor, decide, type Resource, type UserActor } from '../domain/policy.ts';
import { problems } from '../problem.ts';
import { resolveSession } from '../services/sessions.ts';
import { resolveToken } from '../services/tokens.ts';

export const SESSION_COOKIE = 'village_session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    sessionId: string | undefined;
    csrfToken: string | undefined;
  }
}

export function registerAuth(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('actor', null as never);
  app.decorateRequest('sessionId', undefined);
  app.decorateRequest('csrfToken', undefined);

  app.addHook('onRequest', async (req) => {
    req.actor = { type: 'anonymous' };
    const authz = req.headers.authorization;
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz);
      const actor = m?.[1] ? await resolveToken(ctx, m[1]) : undefined;
      // A bad token is an error, never a silent fall-back to anonymous.
      if (!actor) throw problems.unauthorized('The API token is invalid, expired or revoked.');
      req.actor = actor;
      return;
    }
    const secret = req.cookies[SESSION_COOKIE];
    if (!secret) return;
    const session = await resolveSession(ctx, secret);
    if (!session) return;
    req.actor = session.actor;
    req.sessionId = session.id;
    req.csrfToken = session.csrfToken;
    if (UNSAFE.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !safeEqual(sent, session.csrfToken)) throw problems.csrf();
    }
  });
}

export function metaOf(req: FastifyRequest): RequestMeta {
  return {
    actor: req.actor,
    requestId: req.id,
    ip: req.ip,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
  };
}

/** Asks the policy module; throws 401, 403 or a 404 that does not reveal the resource. */
export function authorize(req: FastifyRequest, action: Action, resource: Resource): UserActor {
  const actor = req.actor;
  if (actor.type !== 'user') throw problems.unauthorized();
  const d = decide(actor, action, resource);
  if (!d.allow) throw d.reveal ? problems.forbidden(d.reason) : problems.notFound();
  return actor;
}

/** For routes about the caller's own account: its credentials are managed from a session only. */
export function authorizeSelf(req: FastifyRequest): UserActor {
  const userId = req.actor.type === 'user' ? req.actor.userId : '';
  return authorize(req, 'account.manage', { type: 'account', userId });
}

/** Like authorize(), for the routes open to anyone or to a reporter's reply link. */
export function authorizeAny(actor: Actor, action: Action, resource: Resource): Actor {
  const d = decide(actor, action, resource);
  if (!d.allow)
    throw d.reveal ? (actor.type === 'anonymous' ? problems.unauthorized() : problems.forbidden(d.reason)) : problems.notFound();
  return actor;
}
