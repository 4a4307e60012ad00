// RFC 9457 problem details. Services throw these; the HTTP layer sends them as
// application/problem+json with a stable `type` URI; bad input names the field at fault.
export const PROBLEM_BASE = 'urn:village:problem:';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: { errors?: FieldError[]; [k: string]: unknown } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }

  body(instance: string, requestId: string): ProblemBody {
    return {
      type: PROBLEM_BASE + this.slug,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      instance,
      requestId,
      ...this.extensions,
    };
  }
}

export const problems = {
  badRequest: (detail: string, errors?: FieldError[]) =>
    new Problem(400, 'validation-error', 'Invalid request', detail, errors ? { errors } : {}),
  unauthorized: (detail = 'Sign in, or send a valid API token.') =>
    new Problem(401, 'unauthenticated', 'Authentication required', detail),
  invalidCredentials: () => new Problem(401, 'invalid-credentials', 'Invalid credentials', 'The email or password is wrong.'),
  mfaRequired: () =>
    new Problem(401, 'mfa-required', 'Second factor required', 'Send a TOTP code or a recovery code, or use a passkey.'),
  forbidden: (detail: string) => new Problem(403, 'forbidden', 'Forbidden', detail),
  csrf: () => new Problem(403, 'csrf', 'CSRF check failed', 'Send the session CSRF token in the X-CSRF-Token header.'),
  notFound: (what = 'resource') => new Problem(404, 'not-found', 'Not found', `No such ${what}.`),
  conflict: (detail: string) => new Problem(409, 'conflict', 'Conflict', detail),
  /** The community's current NDA must be accepted first; says which version and where. */
  ndaRequired: (detail: string, nda: { communityId: string; version: number; hash: string }) =>
    new Problem(403, 'nda-required', 'NDA acceptance required', detail, {
      nda: { ...nda, accept: `/api/v1/communities/${nda.communityId}/nda/${nda.version}/accept` },
    }),
  tooMany: (retryAfterSeconds: number, detail = 'Too many attempts; try again later.') =>
    new Problem(
      429,
      'rate-limited',
      'Too many requests',
      detail,
      { retryAfter: retryAfterSeconds },
      {
        'retry-after': String(retryAfterSeconds),
      },
    ),
  locked: (retryAfterSeconds: number) =>
    new Problem(
      429,
      'account-locked',
      'Account temporarily locked',
      'Too many failed sign-ins for this account; try again later.',
      { retryAfter: retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    ),
};
