// A software WebAuthn authenticator for tests: a real ES256 (P-256) key pair, real CBOR and real
// signatures, so the server's verification runs exactly as it would for a browser's passkey.
// It produces attestation "none" registrations and assertions, and lets a test misbehave
// (wrong origin, no user verification, a counter that goes backwards) on purpose.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface CeremonyOverrides {
  /** The origin the "browser" writes into clientDataJSON. */
  origin?: string;
  /** Override the challenge (e.g. to answer one the server never issued). */
  challenge?: string;
  /** Leave the user-verified flag off. */
  userVerified?: boolean;
  /** The RP ID whose hash goes into authenticator data. */
  rpId?: string;
}

const sha256 = (data: Uint8Array | string): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
const b64u = (data: Uint8Array): string => isoBase64URL.fromBuffer(new Uint8Array(data));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, false);
  return b;
}

export class SoftAuthenticator {
  readonly rawCredentialId: Uint8Array = new Uint8Array(randomBytes(32));
  readonly credentialId: string = b64u(this.rawCredentialId);
  /** The signature counter; each assertion increments it first. Tests may set it. */
  counter = 0;
  /** The user handle stored at registration (a discoverable credential returns it). */
  userHandle: string | undefined;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(
    readonly rpId: string,
    readonly origin: string,
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  /** navigator.credentials.create(): an attestation "none" registration response. */
  register(options: PublicKeyCredentialCreationOptionsJSON, o: CeremonyOverrides = {}): RegistrationResponseJSON {
    this.userHandle = options.user.id;
    const clientDataJSON = this.clientData('webauthn.create', o.challenge ?? options.challenge, o.origin);
    const jwk = this.publicKey.export({ format: 'jwk' });
    if (!jwk.x || !jwk.y) throw new Error('EC key without coordinates');
    // COSE_Key for ES256: kty EC2 (1: 2), alg ES256 (3: -7), crv P-256 (-1: 1), x (-2), y (-3).
    const coseKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, isoBase64URL.toBuffer(jwk.x)],
        [-3, isoBase64URL.toBuffer(jwk.y)],
      ]),
    );
    const idLen = new Uint8Array([(this.rawCredentialId.length >> 8) & 0xff, this.rawCredentialId.length & 0xff]);
    const authData = concat([
      this.authHeader(o, FLAG_AT),
      new Uint8Array(16), // AAGUID: all zeros, as attestation "none" allows
      idLen,
      this.rawCredentialId,
      new Uint8Array(coseKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(new Uint8Array(attestationObject)),
        transports: ['internal'],
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): an assertion signed with this credential's private key. */
  assert(
    options: Pick<PublicKeyCredentialRequestOptionsJSON, 'challenge'>,
    o: CeremonyOverrides = {},
  ): AuthenticationResponseJSON {
    this.counter += 1;
    const clientDataJSON = this.clientData('webauthn.get', o.challenge ?? options.challenge, o.origin);
    const authData = this.authHeader(o, 0);
    // ECDSA over authenticatorData || SHA-256(clientDataJSON); node:crypto emits DER, as WebAuthn wants.
    const signature = sign('sha256', concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(new Uint8Array(signature)),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  private clientData(type: string, challenge: string, origin?: string): Uint8Array {
    const json = JSON.stringify({ type, challenge, origin: origin ?? this.origin, crossOrigin: false });
    return new Uint8Array(Buffer.from(json, 'utf8'));
  }

  /** rpIdHash | flags | signCount: the 37 bytes every authenticator data starts with. */
  private authHeader(o: CeremonyOverrides, extraFlags: number): Uint8Array {
    const flags = FLAG_UP | (o.userVerified === false ? 0 : FLAG_UV) | extraFlags;
    return concat([sha256(o.rpId ?? this.rpId), new Uint8Array([flags]), u32(this.counter)]);
  }
}
