// OpenPGP public keys: one's own (/account/pgp-keys, a signed-in session) and an
// organization's (/orgs/{id}/pgp-keys: members read, admins and operators set). A key Village
// cannot encrypt to (expired, revoked, no encryption subkey, a private key, several keys,
// garbage) is refused with a 422 problem saying why.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { problems } from '../../problem.ts';
import { getOrganization } from '../../services/organizations.ts';
import { addKey, deleteKey, type KeyOwner, listKeys, type PgpKeyView } from '../../services/pgp-keys.ts';
import { authorize, metaOf } from '../auth.ts';
import { authErrors, iso, isoOrNull, Ok, ProblemSchema, Timestamp } from '../schemas.ts';

export const ArmoredPublicKey = z
  .string()
  .min(1)
  .max(100_000)
  .describe('An ASCII-armored OpenPGP public key ("-----BEGIN PGP PUBLIC KEY BLOCK-----")');

const KeyIn = z.strictObject({ armored: ArmoredPublicKey });
const KeyOut = z.object({
  id: z.uuid(),
  fingerprint: z.string().describe('Upper-case hex, as GnuPG prints it'),
  userIds: z.array(z.string()),
  algorithm: z.string(),
  keyCreatedAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  usable: z.boolean().describe('Mail can be encrypted to it now'),
  problems: z.array(z.string()).describe('Why it is not usable (it expired or was revoked since upload)'),
  addedAt: Timestamp,
});
const keyOut = (k: PgpKeyView) => ({
  ...k,
  keyCreatedAt: iso(k.keyCreatedAt),
  expiresAt: isoOrNull(k.expiresAt),
  addedAt: iso(k.addedAt),
});
const writeErrors = { ...authErrors, 409: ProblemSchema, 422: ProblemSchema };

export const pgpKeyRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['openpgp'];
    const OrgParams = z.strictObject({ id: z.uuid() });
    const OrgKeyParams = z.strictObject({ id: z.uuid(), keyId: z.uuid() });

    const self = (req: Parameters<typeof authorize>[0]): KeyOwner => {
      const userId = req.actor.type === 'user' ? req.actor.userId : '';
      const actor = authorize(req, 'account.pgpkeys', { type: 'account', userId });
      return { kind: 'user', userId: actor.userId, orgId: actor.orgId };
    };
    const org = async (req: Parameters<typeof authorize>[0], action: 'org.pgpkeys.read' | 'org.pgpkeys.write', id: string) => {
      authorize(req, action, { type: 'organization', id });
      if (!(await getOrganization(ctx, id))) throw problems.notFound('organization');
      return { kind: 'org', orgId: id } as const;
    };

    app.get(
      '/account/pgp-keys',
      { schema: { tags, summary: 'My OpenPGP public keys', response: { 200: z.array(KeyOut), ...authErrors } } },
      async (req) => (await listKeys(ctx, self(req))).map(keyOut),
    );

    app.post(
      '/account/pgp-keys',
      {
        schema: {
          tags,
          summary: 'Add an OpenPGP public key: mail to me is encrypted to it',
          body: KeyIn,
          response: { 201: KeyOut, ...writeErrors },
        },
      },
      async (req, reply) => {
        const k = await addKey(ctx, metaOf(req), self(req), req.body.armored);
        reply.code(201);
        return keyOut(k);
      },
    );

    app.delete(
      '/account/pgp-keys/:keyId',
      {
        schema: {
          tags,
          summary: 'Remove one of my OpenPGP keys',
          params: z.strictObject({ keyId: z.uuid() }),
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        await deleteKey(ctx, metaOf(req), self(req), req.params.keyId);
        return { ok: true as const };
      },
    );

    app.get(
      '/orgs/:id/pgp-keys',
      {
        schema: {
          tags,
          summary: "An organization's OpenPGP public keys (its members)",
          params: OrgParams,
          response: { 200: z.array(KeyOut), ...authErrors },
        },
      },
      async (req) => (await listKeys(ctx, await org(req, 'org.pgpkeys.read', req.params.id))).map(keyOut),
    );

    app.post(
      '/orgs/:id/pgp-keys',
      {
        schema: {
          tags,
          summary:
            "Add an organization's OpenPGP public key (its admins): mail to members without a key of their own is encrypted to it",
          params: OrgParams,
          body: KeyIn,
          response: { 201: KeyOut, ...writeErrors },
        },
      },
      async (req, reply) => {
        const k = await addKey(ctx, metaOf(req), await org(req, 'org.pgpkeys.write', req.params.id), req.body.armored);
        reply.code(201);
        return keyOut(k);
      },
    );

    app.delete(
      '/orgs/:id/pgp-keys/:keyId',
      {
        schema: {
          tags,
          summary: "Remove an organization's OpenPGP key (its admins)",
          params: OrgKeyParams,
          response: { 200: Ok, ...authErrors },
        },
      },
      async (req) => {
        await deleteKey(ctx, metaOf(req), await org(req, 'org.pgpkeys.write', req.params.id), req.params.keyId);
        return { ok: true as const };
      },
    );
  };
