// Organizations and their users.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { mayGrantOperator } from '../../domain/policy.ts';
import { problems } from '../../problem.ts';
import {
  createOrganization,
  createUser,
  getOrganization,
  getUser,
  listOrganizations,
  listUsers,
  type OrgView,
  type UserView,
  updateOrganization,
  updateUser,
} from '../../services/organizations.ts';
import { authorize, metaOf } from '../auth.ts';
import {
  authErrors,
  Email,
  IdParams,
  iso,
  NOTHING_TO_CHANGE,
  nonEmpty,
  OrgKind,
  OrgOut,
  OrgRole,
  Password,
  ProblemSchema,
  Slug,
  UserOut,
} from '../schemas.ts';

const orgOut = (o: OrgView) => ({ ...o, createdAt: iso(o.createdAt) });
const userOut = (u: UserView) => ({ ...u, createdAt: iso(u.createdAt) });
/** ISO 3166-1 alpha-2, for government-CERT policies that name countries. */
const Country = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code, upper case');
const SecurityTxtUrl = z
  .url({ protocol: /^https$/ })
  .max(2000)
  .describe("https URL of the organization's security.txt (RFC 9116)");

export const orgRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['organizations'];

    app.get(
      '/orgs',
      { schema: { tags, summary: 'Organizations the caller may see', response: { 200: z.array(OrgOut), ...authErrors } } },
      async (req) => {
        authorize(req, 'org.list', { type: 'instance' });
        return (await listOrganizations(ctx, metaOf(req))).map(orgOut);
      },
    );

    app.post(
      '/orgs',
      {
        schema: {
          tags,
          summary: 'Create an organization (operators)',
          body: z.strictObject({
            slug: Slug,
            name: z.string().min(1).max(200),
            kind: OrgKind,
            securityTxtUrl: SecurityTxtUrl.optional(),
            country: Country.optional(),
          }),
          response: { 201: OrgOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        authorize(req, 'org.create', { type: 'instance' });
        reply.code(201);
        return orgOut(await createOrganization(ctx, metaOf(req), req.body));
      },
    );

    app.get(
      '/orgs/:id',
      { schema: { tags, summary: 'One organization', params: IdParams, response: { 200: OrgOut, ...authErrors } } },
      async (req) => {
        authorize(req, 'org.read', { type: 'organization', id: req.params.id });
        const org = await getOrganization(ctx, req.params.id);
        if (!org) throw problems.notFound('organization');
        return orgOut(org);
      },
    );

    app.patch(
      '/orgs/:id',
      {
        schema: {
          tags,
          summary: 'Update an organization (its admins, operators)',
          params: IdParams,
          body: z
            .strictObject({
              name: z.string().min(1).max(200).optional(),
              securityTxtUrl: SecurityTxtUrl.nullable().optional(),
              country: Country.nullable().optional(),
            })
            .refine(nonEmpty, NOTHING_TO_CHANGE),
          response: { 200: OrgOut, ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'org.update', { type: 'organization', id: req.params.id });
        return orgOut(await updateOrganization(ctx, metaOf(req), req.params.id, req.body));
      },
    );

    app.get(
      '/orgs/:id/users',
      {
        schema: {
          tags,
          summary: 'Users of an organization',
          params: IdParams,
          response: { 200: z.array(UserOut), ...authErrors },
        },
      },
      async (req) => {
        authorize(req, 'user.list', { type: 'organization', id: req.params.id });
        return (await listUsers(ctx, req.params.id)).map(userOut);
      },
    );

    app.post(
      '/orgs/:id/users',
      {
        schema: {
          tags,
          summary: 'Add a user to an organization (its admins, operators)',
          params: IdParams,
          body: z.strictObject({
            email: Email,
            displayName: z.string().min(1).max(200),
            orgRole: OrgRole.default('member'),
            password: Password.optional(),
            isOperator: z.boolean().optional(),
          }),
          response: { 201: UserOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        authorize(req, 'user.create', { type: 'organization', id: req.params.id });
        if (req.body.isOperator && !mayGrantOperator(req.actor)) throw problems.forbidden('only operators grant operator');
        if (!(await getOrganization(ctx, req.params.id))) throw problems.notFound('organization');
        reply.code(201);
        return userOut(await createUser(ctx, metaOf(req), { ...req.body, orgId: req.params.id }));
      },
    );

    app.patch(
      '/users/:id',
      {
        schema: {
          tags,
          summary: "Change a user's name or role, or disable them (ends their sessions)",
          params: IdParams,
          body: z
            .strictObject({
              displayName: z.string().min(1).max(200).optional(),
              orgRole: OrgRole.optional(),
              disabled: z.boolean().optional(),
              isOperator: z.boolean().optional(),
            })
            .refine(nonEmpty, NOTHING_TO_CHANGE),
          response: { 200: UserOut, ...authErrors },
        },
      },
      async (req) => {
        const target = await getUser(ctx, req.params.id);
        // Unknown and not-yours look the same: the policy hides both as 404.
        authorize(req, 'user.update', { type: 'user', id: req.params.id, orgId: target?.orgId ?? '' });
        if (!target) throw problems.notFound('user');
        if (req.body.isOperator !== undefined && !mayGrantOperator(req.actor))
          throw problems.forbidden('only operators grant operator');
        return userOut(await updateUser(ctx, metaOf(req), req.params.id, req.body));
      },
    );

    app.get(
      '/users/:id',
      { schema: { tags, summary: 'One user', params: IdParams, response: { 200: UserOut, ...authErrors } } },
      async (req) => {
        const target = await getUser(ctx, req.params.id);
        authorize(req, 'user.read', { type: 'user', id: req.params.id, orgId: target?.orgId ?? '' });
        if (!target) throw problems.notFound('user');
        return userOut(target);
      },
    );
  };
