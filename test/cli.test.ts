// The `village` command, run as a user would: a separate process on a real data directory
// (embedded engine) or database (server engine).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycloneDxJsonToXml } from './support/cyclonedx-xml.ts';
import { createTestDatabase, type TestDatabase, testEngine } from './support/db.ts';

let dataDir: string;
let serverDb: TestDatabase | undefined;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-cli-'));
  if (testEngine === 'postgres') serverDb = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await serverDb?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function village(args: string[], input?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, VILLAGE_DATA_DIR: dataDir, VILLAGE_LOG_LEVEL: 'warn' };
  if (serverDb?.url) env.DATABASE_URL = serverDb.url;
  else delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, ['bin/village.js', ...args], { env, encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs SQL on the CLI's database directly, as an attacker with database access would. */
async function tamper(statement: string): Promise<void> {
  if (serverDb?.url) {
    const c = new pg.Client({ connectionString: serverDb.url });
    await c.connect();
    await c.query(statement);
    await c.end();
    return;
  }
  const db = await PGlite.create(path.join(dataDir, 'pg'));
  await db.exec(statement);
  await db.close();
}

describe('village CLI', () => {
  it('lists its commands', () => {
    const r = village(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'db', 'org', 'user', 'token', 'audit', 'release']) expect(r.out).toContain(c);
    const sub = village(['audit', '--help']);
    expect(sub.out).toContain('verify');
  });

  it('migrates, creates an organization, a user and a token', () => {
    expect(village(['db', 'migrate']).out).toMatch(/applied: 0001_foundation|up to date/);
    expect(village(['db', 'migrate']).out).toContain('up to date');
    const org = village(['org', 'create', '--slug', 'acme', '--name', 'Acme Networks', '--kind', 'vendor']);
    expect(org.code).toBe(0);
    expect(org.out).toContain('created organization acme');
    const dup = village(['org', 'create', '--slug', 'acme', '--name', 'Acme again']);
    expect(dup.code).not.toBe(0);
    expect(dup.err).toContain('exists');
    const user = village(
      ['user', 'create', '--org', 'acme', '--email', 'ada@acme.example', '--name', 'Ada', '--role', 'admin'],
      '',
    );
    expect(user.code).toBe(0);
    expect(user.out).toMatch(/initial password \(shown once\): \S{16,}/);
    const piped = village(
      ['user', 'create', '--org', 'acme', '--email', 'bob@acme.example', '--name', 'Bob', '--password-stdin'],
      'a long enough password\n',
    );
    expect(piped.code).toBe(0);
    expect(piped.out).not.toContain('initial password');
    const token = village(['token', 'create', '--email', 'ada@acme.example', '--name', 'ci', '--scopes', 'org:read,audit:read']);
    expect(token.code).toBe(0);
    expect(token.out.trim()).toMatch(/^vlg_[\w-]{43}$/);
    const bad = village(['token', 'create', '--email', 'ada@acme.example', '--name', 'ci', '--scopes', 'root']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('unknown scope');
  }, 180_000); // eight processes in a row, each opening the database: slow on a busy machine

  // After the migration test: the data directory exists and is migrated.
  it('refuses to release a case that does not exist', () => {
    const r = village(['release', 'VC-2099-9999']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no case "VC-2099-9999"');
  });

  it('verifies the audit chain, and names the entry edited in the database', async () => {
    const ok = village(['audit', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/audit chain OK: \d+ entries verified/);
    await tamper(`UPDATE audit_log SET entry = replace(entry, '"user.create"', '"user.delete"') WHERE seq = 2`);
    const broken = village(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('audit chain BROKEN at entry #2 (hash mismatch)');
  });

  it('imports a directory of SBOMs with progress and a summary; a bad one is named and nothing of it stays', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-sboms-'));
    const samples = path.join(import.meta.dirname, '../../shared/data/sbom/cyclonedx');
    fs.mkdirSync(path.join(dir, 'acme'));
    fs.copyFileSync(path.join(samples, 'proton-bridge-1.8.0.cdx.json'), path.join(dir, 'acme', 'proton-bridge-1.8.0.cdx.json'));
    // CycloneDX XML is checked against its XSD on the validation thread (from the bundle here).
    const laravel = JSON.parse(fs.readFileSync(path.join(samples, 'laravel-7.12.0.cdx.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'acme', 'laravel-7.12.0.cdx.xml'), cycloneDxJsonToXml(laravel));
    fs.writeFileSync(
      path.join(dir, 'acme', 'bad-schema.xml'),
      cycloneDxJsonToXml(laravel).replace('<component type="library"', '<component type="gadget"'),
    );
    fs.writeFileSync(path.join(dir, 'acme', 'broken.json'), '{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [');
    const r = village(['sbom', 'import', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/\[1\/4\] acme\/bad-schema\.xml FAILED: schema: .*line \d+: Element 'component', attribute 'type'/);
    expect(r.err).toMatch(/\[2\/4\] acme\/broken\.json FAILED: malformed/);
    expect(r.err).toMatch(/\[3\/4\] acme\/laravel-7\.12\.0\.cdx\.xml → acme\/.*: 62 components/);
    expect(r.err).toMatch(
      /\[4\/4\] acme\/proton-bridge-1\.8\.0\.cdx\.json → acme\/.*proton-bridge@v1\.8\.0: 201 components, 57 direct/,
    );
    expect(r.out).toMatch(/imported 2 of 4 SBOMs \(263 components\)/);
    expect(r.out).toContain('failed: acme/bad-schema.xml: schema');
    expect(r.out).toContain('failed: acme/broken.json');
  });
  it('rotates the key-encryption key: re-wraps every key, retires the old one; a rerun starts another', () => {
    const kekFile = path.join(dataDir, 'keys', 'kek.json');
    const idsInFile = () =>
      (JSON.parse(fs.readFileSync(kekFile, 'utf8')) as { keys: Array<{ id: string }> }).keys.map((k) => k.id);
    const [before] = idsInFile();
    const st = village(['keys', 'status']);
    expect(st.code, st.err).toBe(0);
    expect(st.out).toMatch(new RegExp(`${before} \\(current\\): wraps \\d+ data key\\(s\\), 1 signing key\\(s\\)`));
    const r = village(['keys', 'rotate', '--batch', '1']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/added key-encryption key kek-[0-9a-f]{16}/);
    expect(r.out).toMatch(
      new RegExp(`rotated to kek-[0-9a-f]{16}: re-wrapped \\d+ data key\\(s\\) and 1 signing key\\(s\\).*retired ${before}`),
    );
    const after = idsInFile();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    const st2 = village(['keys', 'status']);
    expect(st2.out).toContain(`${after[0]} (current)`);
    expect(st2.out).not.toContain(String(before));
    // Everything still opens with the new KEK alone (the signing key is unwrapped at every command).
    const org = village(['org', 'create', '--slug', 'after-rotation', '--name', 'After rotation']);
    expect(org.code, org.err).toBe(0);
  }, 120_000);
});
