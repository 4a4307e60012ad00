// Passkeys: a signed-in session registers, lists and removes its own; anyone may sign in with one.
// The options responses are the WebAuthn JSON forms: hand them to
// PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON (or
// @simplewebauthn/browser), and send back the credential's toJSON().
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { Problem } from '../../problem.ts';
import {
  deleteCredential,
  finishRegistration,
  listCredentials,
  loginOptions,
  loginWithPasskey,
  registrationOptions,
} from '../../services/webauthn.ts';
import { authorizeSelf, metaOf } from '../auth.ts';
import { authErrors, Email, IdParams, iso, isoOrNull, Ok, ProblemSchema, Timestamp } from '../schemas.ts';
import { SessionOut, setSessionCookie } from './auth.ts';

const B64u = z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, 'base64url');
// Credential IDs are at most 1023 bytes: 1364 base64url characters.
const CredentialId = B64u.max(1400);
const Transports = z.array(z.string().max(32)).max(10);

// The credential JSON is loose on purpose: browsers add fields over time (publicKey,
// publicKeyAlgorithm, extension outputs) and the verifier reads only what it needs.
// What must be there is checked here, so a bad shape is a 400 that names the field.
const Credential = {
  id: CredentialId,
  rawId: CredentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.looseObject({}).default({}),
};

const RegistrationResponse = z.looseObject({
  ...Credential,
  response: z.looseObject({
    clientDataJSON: B64u.max(16_384),
    attestationObject: B64u.max(65_536),
    transports: Transports.optional(),
  }),
});

const AuthenticationResponse = z.looseObject({
  ...Credential,
  response: z.looseObject({
    clientDataJSON: B64u.max(16_384),
    authenticatorData: B64u.max(16_384),
    signature: B64u.max(1_024),
    // Some clients send null for a non-discoverable credential; treat it as absent.
    userHandle: B64u.max(128)
      .nullish()
      .transform((v) => v ?? undefined),
  }),
});

// The options are listed in full: the response serializer drops keys a schema does not name.
const Descriptor = z.object({ id: z.string(), type: z.string(), transports: z.array(z.string()).optional() });

const CreationOptions = z
  .object({
    rp: z.object({ name: z.string(), id: z.string().optional() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
    challenge: z.string(),
    pubKeyCredParams: z.array(z.object({ alg: z.number(), type: z.string() })),
    timeout: z.number().optional(),
    excludeCredentials: z.array(Descriptor).optional(),
    authenticatorSelection: z
      .object({
        authenticatorAttachment: z.string().optional(),
        requireResidentKey: z.boolean().optional(),
        residentKey: z.string().optional(),
        userVerification: z.string().optional(),
      })
      .optional(),
    hints: z.array(z.string()).optional(),
    attestation: z.string().optional(),
    attestationFormats: z.array(z.string()).optional(),
    extensions: z.unknown().optional(),
  })
  .describe('PublicKeyCredentialCreationOptionsJSON, for navigator.credentials.create()');

const RequestOptions = z
  .object({
    challenge: z.string(),
    timeout: z.number().optional(),
    rpId: z.string().optional(),
    allowCredentials: z.array(Descriptor).optional(),
    userVerification: z.string().optional(),
    hints: z.array(z.string()).optional(),
    extensions: z.unknown().optional(),
  })
  .describe('PublicKeyCredentialRequestOptionsJSON, for navigator.credentials.get()');

const CredentialOut = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  deviceType: z.string().nullable().describe('singleDevice, or multiDevice for a synced passkey'),
  backedUp: z.boolean(),
});

const out = (c: Awaited<ReturnType<typeof listCredentials>>[number]) => ({
  ...c,
  createdAt: iso(c.createdAt),
  lastUsedAt: isoOrNull(c.lastUsedAt),
});

export const webauthnRoutes =
  (ctx: AppContext): FastifyPluginAsyncZod =>
  async (app) => {
    // Passkeys are credentials: only a signed-in session manages them, never an API token.
    const self = authorizeSelf;
    const tags = ['account'];

    app.post(
      '/me/webauthn/register/options',
      {
        schema: {
          tags,
          summary: 'Start registering a passkey: creation options with a single-use challenge (5 minutes)',
          response: { 200: CreationOptions, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => registrationOptions(ctx, self(req).userId),
    );

    app.post(
      '/me/webauthn/register/verify',
      {
        schema: {
          tags,
          summary: "Finish registering a passkey with the authenticator's response",
          body: z.strictObject({
            response: RegistrationResponse,
            name: z.string().trim().min(1).max(100).optional().describe('A label, such as "work laptop"'),
          }),
          response: { 201: CredentialOut, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req, reply) => {
        const actor = self(req);
        // The shape is checked above; the content is the verifier's job.
        const response = req.body.response as unknown as RegistrationResponseJSON;
        const c = await finishRegistration(ctx, metaOf(req), actor.userId, response, req.body.name);
        reply.code(201);
        return out(c);
      },
    );

    app.get(
      '/me/webauthn',
      { schema: { tags, summary: 'Registered passkeys', response: { 200: z.array(CredentialOut), ...authErrors } } },
      async (req) => (await listCredentials(ctx, self(req).userId)).map(out),
    );

    app.delete(
      '/me/webauthn/:id',
      {
        schema: {
          tags,
          summary: 'Remove a passkey',
          params: IdParams,
          response: { 200: Ok, 409: ProblemSchema, ...authErrors },
        },
      },
      async (req) => {
        await deleteCredential(ctx, metaOf(req), self(req).userId, req.params.id);
        return { ok: true as const };
      },
    );

    app.post(
      '/auth/webauthn/login/options',
      {
        schema: {
          tags: ['auth'],
          summary: 'Start signing in with a passkey: request options with a single-use challenge (5 minutes)',
          description:
            'With an email, allowCredentials lists that account’s passkeys; for an unknown email the answer is ' +
            'the same as without one (any discoverable passkey may answer).',
          body: z.strictObject({ email: Email.optional() }).default({}),
          response: { 200: RequestOptions, 400: ProblemSchema, 429: ProblemSchema },
        },
      },
      async (req) => loginOptions(ctx, metaOf(req), req.body.email),
    );

    app.post(
      '/auth/webauthn/login/verify',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign in with a passkey assertion; sets the session cookie',
          body: z.strictObject({ response: AuthenticationResponse }),
          response: { 200: SessionOut, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 429: ProblemSchema },
        },
      },
      async (req, reply) => {
        // Login CSRF, as for password sign-in: anyone can mint an assertion for their own
        // passkey, so a cross-site page must not be able to sign the victim into that account.
        const origin = req.headers.origin;
        if (origin !== undefined && origin !== ctx.config.publicUrl) {
          throw new Problem(403, 'bad-origin', 'Cross-origin sign-in refused', `Origin ${origin} is not this instance.`);
        }
        const response = req.body.response as unknown as AuthenticationResponseJSON;
        const s = await loginWithPasskey(ctx, metaOf(req), response);
        setSessionCookie(ctx, reply, s.secret, s.expiresAt);
        return { userId: s.userId, csrfToken: s.csrfToken, expiresAt: iso(s.expiresAt) };
      },
    );
  };
