// argon2id with OWASP Password Storage Cheat Sheet parameters (m=19 MiB, t=2, p=1). The native
// binding is loaded with the first password hashed or checked, not when the server starts.
let binding: Promise<typeof import('@node-rs/argon2')> | undefined;
const argon2 = () => {
  binding ??= import('@node-rs/argon2');
  return binding;
};

export const ARGON2_PARAMS = {
  algorithm: 2, // Algorithm.Argon2id (a const enum, which isolated modules cannot import)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const MIN_PASSWORD_LENGTH = 12;

export async function hashPassword(password: string): Promise<string> {
  return (await argon2()).hash(password, ARGON2_PARAMS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const { verify } = await argon2();
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spends the same time as a real verification, so unknown accounts are not revealed by timing. */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummy ??= hashPassword('village-dummy-password-for-timing');
  await verifyPassword(await dummy, password);
}
