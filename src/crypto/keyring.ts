// The instance's key-encryption keys (KEKs). Every data key Village stores (a case's data key,
// the instance signing key's secret part) is wrapped by a KEK and never stored in clear.
//
// The default keyring is a file (VILLAGE_KEK_FILE, default <data dir>/keys/kek.json, mode 0600):
// a JSON list of 256-bit AES keys, the last one current. Keeping old keys in the file lets
// `village keys rotate` add a new KEK and re-wrap every data key while servers keep running: a
// server that meets a wrapping by a KEK it has not loaded re-reads the file once. An external
// KMS plugs in by implementing Keyring (wrap/unwrap by key id); nothing else sees KEK bytes.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export interface Wrapped {
  /** Which KEK wrapped it. */
  kekId: string;
  /** version (1) ‖ 12-byte IV ‖ ciphertext ‖ 16-byte GCM tag. */
  wrapped: Buffer;
}

export interface Keyring {
  /** The KEK new wrappings use. */
  readonly currentId: string;
  /** Wraps a data key; `aad` binds it to its owner (e.g. `case:<id>`), so a wrapped key moved to another row fails to unwrap. */
  wrap(dataKey: Buffer, aad: string): Promise<Wrapped>;
  unwrap(w: Wrapped, aad: string): Promise<Buffer>;
  /** Where the keys live, for logs and errors (never key material). */
  readonly description: string;
}

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

const FileSchema = z.object({
  format: z.literal('village-kek-1'),
  keys: z
    .array(
      z.object({
        id: z.string().regex(/^kek-[0-9a-f]{16}$/),
        key: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
        created: z.string(),
      }),
    )
    .min(1),
});
type KeyFile = z.infer<typeof FileSchema>;

const VERSION = 1;

/** The id a KEK is known by: derived from its bytes, so a file can be checked against the database. */
export function kekIdOf(key: Buffer): string {
  return `kek-${createHash('sha256').update('village-kek-id\0').update(key).digest('hex').slice(0, 16)}`;
}

export function aesWrap(key: Buffer, plain: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, body, c.getAuthTag()]);
}

export function aesUnwrap(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 29 || sealed[0] !== VERSION) throw new KeyringError('not a wrapped key (unknown format)');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]);
  } catch {
    throw new KeyringError('a wrapped key failed authentication (wrong KEK, or the row was altered or moved)');
  }
}

function readKeyFile(file: string): KeyFile {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new KeyringError(`cannot read the key-encryption key file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new KeyringError(`the key-encryption key file ${file} is not JSON`);
  }
  const r = FileSchema.safeParse(parsed);
  if (!r.success) throw new KeyringError(`the key-encryption key file ${file} is not a Village keyring (village-kek-1)`);
  for (const k of r.data.keys) {
    if (kekIdOf(Buffer.from(k.key, 'base64')) !== k.id) throw new KeyringError(`${file}: key ${k.id} does not match its id`);
  }
  return r.data;
}

/** Writes the file atomically (temp file, fsync, rename), readable by the owner only. */
function writeKeyFile(file: string, data: KeyFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(data, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function newEntry(now: Date): KeyFile['keys'][number] {
  const key = randomBytes(32);
  return { id: kekIdOf(key), key: key.toString('base64'), created: now.toISOString() };
}

/** A keyring whose KEKs Village itself manages (`village keys rotate`); an external KMS rotates on its own. */
export interface RotatableKeyring extends Keyring {
  /** Every KEK id it holds, the current one last. */
  readonly ids: string[];
  addKey(now?: Date): string;
  retire(ids: readonly string[]): void;
}

export function isRotatable(k: Keyring): k is RotatableKeyring {
  return (
    typeof (k as Partial<RotatableKeyring>).addKey === 'function' && typeof (k as Partial<RotatableKeyring>).retire === 'function'
  );
}

export class FileKeyring implements RotatableKeyring {
  private keys = new Map<string, Buffer>();
  private current = '';
  private loadedStamp = '';

  private constructor(readonly file: string) {
    this.load();
  }

  /** Opens the keyring file; creates it with one new KEK when `create` and it does not exist. */
  static open(file: string, opts: { create: boolean; now?: Date }): FileKeyring {
    if (!fs.existsSync(file)) {
      if (!opts.create) throw new KeyringError(`the key-encryption key file ${file} does not exist`);
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        // 'wx': of two processes creating it at once, one wins and the other reads the winner's.
        const fd = fs.openSync(file, 'wx', 0o600);
        fs.writeSync(fd, `${JSON.stringify({ format: 'village-kek-1', keys: [newEntry(opts.now ?? new Date())] }, null, 2)}\n`);
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return new FileKeyring(file);
  }

  get currentId(): string {
    return this.current;
  }

  get description(): string {
    return `file ${this.file}`;
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  private load(): void {
    this.loadedStamp = this.stamp();
    const data = readKeyFile(this.file);
    this.keys = new Map(data.keys.map((k) => [k.id, Buffer.from(k.key, 'base64')]));
    this.current = data.keys[data.keys.length - 1]?.id ?? '';
  }

  private key(id: string): Buffer {
    let k = this.keys.get(id);
    if (!k) {
      this.load(); // another process may have rotated
      k = this.keys.get(id);
    }
    if (!k) throw new KeyringError(`key-encryption key ${id} is not in ${this.file}`);
    return k;
  }

  /** What changes when the file is rewritten: modification time and size. */
  private stamp(): string {
    try {
      const st = fs.statSync(this.file);
      return `${st.mtimeMs}:${st.size}`;
    } catch {
      return '';
    }
  }

  async wrap(dataKey: Buffer, aad: string): Promise<Wrapped> {
    // A rotation in another process adds a new current KEK: new wrappings use it at once.
    if (this.stamp() !== this.loadedStamp) this.load();
    return { kekId: this.current, wrapped: aesWrap(this.key(this.current), dataKey, aad) };
  }

  async unwrap(w: Wrapped, aad: string): Promise<Buffer> {
    return aesUnwrap(this.key(w.kekId), w.wrapped, aad);
  }

  /** Adds a new current KEK to the file (old ones stay, to unwrap until re-wrapped). Returns its id. */
  addKey(now = new Date()): string {
    const data = readKeyFile(this.file);
    const entry = newEntry(now);
    data.keys.push(entry);
    writeKeyFile(this.file, data);
    this.load();
    return entry.id;
  }

  /** Removes KEKs other than the current one that nothing is wrapped by any more. */
  retire(ids: readonly string[]): void {
    const data = readKeyFile(this.file);
    const drop = new Set(ids.filter((id) => id !== this.current));
    data.keys = data.keys.filter((k) => !drop.has(k.id));
    writeKeyFile(this.file, data);
    this.load();
  }
}
