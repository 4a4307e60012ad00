// The `village` command.
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.ts';
import { type Scope, TOKEN_SCOPES } from '../domain/policy.ts';
import { commands } from './commands.ts';
import { sbomImport } from './sbom-import.ts';

const program = new Command()
  .name('village')
  .description('Village: multi-party coordinated vulnerability disclosure')
  .showHelpAfterError();

const config = () => loadConfig();

program
  .command('serve')
  .description('run the server (migrates the database first; seeds demo data on an empty database unless VILLAGE_DEMO=0)')
  .action(async () => commands.serve(config()));

const db = program.command('db').description('database administration');
db.command('migrate')
  .description('apply pending migrations')
  .action(async () => commands.migrate(config()));

const org = program.command('org').description('organizations');
org
  .command('create')
  .description('create an organization')
  .requiredOption('--slug <slug>', 'short name: lower-case letters, digits, dashes')
  .requiredOption('--name <name>', 'display name')
  .option('--kind <kind>', 'coordinator | vendor | researcher | cert | other', 'vendor')
  .action(async (o: { slug: string; name: string; kind: string }) => commands.orgCreate(config(), o));

const user = program.command('user').description('users');
user
  .command('create')
  .description('create a user; prints a generated password unless --password-stdin is given')
  .requiredOption('--org <slug>', 'organization slug')
  .requiredOption('--email <email>', 'email address (the login)')
  .requiredOption('--name <name>', 'display name')
  .option('--role <role>', 'admin | member', 'member')
  .option('--operator', 'make the user an instance operator', false)
  .option('--password-stdin', 'read the password from standard input', false)
  .action(async (o: { org: string; email: string; name: string; role: string; operator: boolean; passwordStdin: boolean }) =>
    commands.userCreate(config(), o),
  );

const parseScopes = (v: string): Scope[] => {
  const list = v.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!(TOKEN_SCOPES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`unknown scope "${s}"; known: ${TOKEN_SCOPES.join(', ')}`);
    }
  }
  return list as Scope[];
};
const token = program.command('token').description('API tokens');
token
  .command('create')
  .description('create an API token for a user; the token is printed once')
  .requiredOption('--email <email>', 'the user the token acts as')
  .requiredOption('--name <name>', 'what the token is for')
  .requiredOption('--scopes <list>', `comma-separated: ${TOKEN_SCOPES.join(', ')}`, parseScopes)
  .option(
    '--days <n>',
    'days until it expires (1 to 366)',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 366) throw new InvalidArgumentError('a whole number from 1 to 366');
      return n;
    },
    90,
  )
  .action(async (o: { email: string; name: string; scopes: Scope[]; days: number }) => commands.tokenCreate(config(), o));

const wholeNumber = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
  return n;
};
const keys = program.command('keys').description('the key-encryption keys (encryption at rest)');
keys
  .command('status')
  .description('the key-encryption keys and how many data keys and signing keys each wraps')
  .action(async () => commands.keysStatus(config()));
keys
  .command('rotate')
  .description(
    'add a new key-encryption key, re-wrap every data key and the signing key under it, retire the old one ' +
      '(embedded database: stop the server first; PostgreSQL: servers keep running). Safe to interrupt and rerun.',
  )
  .option('--grace-seconds <n>', 'wait before the final sweep (default 5 with PostgreSQL, 0 embedded)', wholeNumber(0, 600))
  .option('--batch <n>', 'keys re-wrapped per transaction', wholeNumber(1, 10_000), 500)
  .action(async (o: { graceSeconds?: number; batch: number }) => commands.keysRotate(config(), o));

const cases = program.command('cases').description('cases');
cases
  .command('purge')
  .description("purge a case: destroy its data key and its reports' keys (crypto-shredding); its content can never be read again")
  .argument('<id>', 'the case id')
  .requiredOption('--reason <text>', 'why, for the audit log')
  .action(async (id: string, o: { reason: string }) => commands.casePurge(config(), id, o));

const audit = program.command('audit').description('the audit log');
audit
  .command('verify')
  .description('recompute the hash chain; exits 1 and names the first entry that does not verify')
  .action(async () => commands.auditVerify(config()));

program
  .command('release')
  .description('release a case now: end the embargo, publish its advisory and documents, notify everyone')
  .argument('<case>', 'the case ref (VC-2026-0001) or id')
  .action(async (ref: string) => commands.release(config(), ref));

program
  .command('trace')
  .description('name the organization whose copy of a case text a leaked excerpt came from, or say the evidence is insufficient')
  .requiredOption('--case <id>', 'the case: its id or its reference')
  .option('--json', 'print the result as JSON', false)
  .argument('<file>', 'the excerpt: a plain-text file, or - for standard input')
  .action(async (file: string, o: { case: string; json: boolean }) => commands.trace(config(), file, o));

audit
  .command('verify-checkpoint')
  .description(
    'offline: check a checkpoint (GET /api/v1/audit/checkpoints/N) or an entry proof (GET /api/v1/audit/entries/N/proof) against the instance key; exits 1 on failure',
  )
  .argument('<file>', 'the JSON as the API returned it')
  .requiredOption('--key <file>', 'the instance public key, from /.well-known/openpgp-key.asc')
  .option('--seen <file>', 'the entry line as you saw it earlier: it must be the one the proof holds')
  .action(async (file: string, o: { key: string; seen?: string }) => commands.auditVerifyCheckpoint(file, o));

const sbom = program.command('sbom').description('products and their SBOMs');
sbom
  .command('import')
  .description(
    'import every SBOM (*.json, *.xml: CycloneDX 1.2-1.6, SPDX 2.3) under DIR; without --org, DIR/<org-slug>/… names the organization',
  )
  .argument('<dir>', 'directory of SBOM files')
  .option('--org <slug>', 'the organization every file belongs to')
  .action(async (dir: string, o: { org?: string }) => sbomImport(config(), dir, o));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`village: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = process.exitCode || 2;
}
