// The API client: same-origin fetch with the session cookie; writes carry the CSRF token
// returned at sign-in (or by GET /me). Errors are RFC 9457 problem details.
let csrfToken: string | null = null;

export function setCsrfToken(t: string | null): void {
  csrfToken = t;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly fields: Array<{ field: string; message: string }>,
    /** The problem type's last part: not-found, mfa-required, … */
    readonly type: string = '',
    /** The whole problem body, for extension members (e.g. nda on nda-required). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }

  /** One readable sentence for an error box. */
  get text(): string {
    const f = this.fields.map((e) => `${e.field}: ${e.message}`).join('; ');
    return [this.detail ?? this.title, f].filter(Boolean).join(' — ');
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const data: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const p = (data ?? {}) as {
      type?: string;
      title?: string;
      detail?: string;
      errors?: Array<{ field: string; message: string }>;
    };
    const type = (p.type ?? '').replace('urn:village:problem:', '');
    throw new ApiError(
      res.status,
      p.title ?? res.statusText,
      p.detail,
      p.errors ?? [],
      type,
      (data ?? {}) as Record<string, unknown>,
    );
  }
  return data as T;
}

/** The problem details of an error answer, as an ApiError. */
function problemError(status: number, statusText: string, data: unknown): ApiError {
  const p = (data ?? {}) as {
    type?: string;
    title?: string;
    detail?: string;
    errors?: Array<{ field: string; message: string }>;
  };
  const type = (p.type ?? '').replace('urn:village:problem:', '');
  return new ApiError(status, p.title ?? statusText, p.detail, p.errors ?? [], type, (data ?? {}) as Record<string, unknown>);
}

/**
 * Sends a file as the raw request body (PUT), reporting upload progress (fetch cannot): for
 * documents the server streams, such as SBOMs. Resolves with the JSON answer; rejects with an ApiError.
 */
export function uploadFile<T>(
  path: string,
  file: Blob,
  contentType: string,
  onProgress?: (sent: number, total: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/api/v1${path}`);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new Error('The upload failed: the connection was lost.'));
    xhr.onload = () => {
      let data: unknown;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T);
      else reject(problemError(xhr.status, xhr.statusText, data));
    };
    xhr.send(file);
  });
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T>(path: string, body: unknown = {}) => api<T>('PUT', path, body);
export const patch = <T>(path: string, body: unknown = {}) => api<T>('PATCH', path, body);
export const del = <T>(path: string, body?: unknown) => api<T>('DELETE', path, body);

/** A File → base64 (no data: prefix), for uploads sent as JSON. */
export async function fileToBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

// WebAuthn: the server speaks the JSON forms (base64url); the browser API wants ArrayBuffers.
export function b64urlToBytes(s: string): ArrayBuffer {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

export function bytesToB64url(buf: ArrayBuffer | ArrayBufferView): string {
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// biome-ignore lint/suspicious/noExplicitAny: the server's JSON options, converted field by field
type Json = any;

export async function createPasskey(options: Json): Promise<Json> {
  const publicKey: PublicKeyCredentialCreationOptions = {
    ...options,
    challenge: b64urlToBytes(options.challenge),
    user: { ...options.user, id: b64urlToBytes(options.user.id) },
    excludeCredentials: (options.excludeCredentials ?? []).map((c: Json) => ({ ...c, id: b64urlToBytes(c.id) })),
  };
  const cred = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential | null;
  if (!cred) throw new Error('No passkey was created.');
  const r = cred.response as AuthenticatorAttestationResponse;
  return {
    id: cred.id,
    rawId: bytesToB64url(cred.rawId),
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: bytesToB64url(r.clientDataJSON),
      attestationObject: bytesToB64url(r.attestationObject),
      transports: r.getTransports?.() ?? [],
    },
  };
}

export async function getPasskeyAssertion(options: Json): Promise<Json> {
  const publicKey: PublicKeyCredentialRequestOptions = {
    ...options,
    challenge: b64urlToBytes(options.challenge),
    allowCredentials: (options.allowCredentials ?? []).map((c: Json) => ({ ...c, id: b64urlToBytes(c.id) })),
  };
  const cred = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential | null;
  if (!cred) throw new Error('No passkey was chosen.');
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: cred.id,
    rawId: bytesToB64url(cred.rawId),
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: bytesToB64url(r.clientDataJSON),
      authenticatorData: bytesToB64url(r.authenticatorData),
      signature: bytesToB64url(r.signature),
      userHandle: r.userHandle ? bytesToB64url(r.userHandle) : null,
    },
  };
}
