// Versioned SQL migrations, plain .sql files applied in name order by Kysely's Migrator
// (which takes an advisory lock, so two servers starting together apply each once).
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

// Beside this module in the sources; from the bundle (dist/), in the sources it was built from.
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MIGRATIONS_DIR = [path.join(HERE, 'migrations'), path.join(HERE, '..', 'src', 'store', 'migrations')].find((d) =>
  existsSync(d),
) as string;

/** The migrations' names: the .sql files in name order. Read synchronously: a start lists them once. */
function migrationNames(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => f.replace(/\.sql$/, ''));
}

/** Each migration's SQL is read when it is applied, not when the list is checked. */
class SqlFileProvider implements MigrationProvider {
  constructor(private readonly names: string[]) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const name of this.names) {
      out[name] = {
        up: async (db) => {
          await sql.raw(await fs.readFile(path.join(MIGRATIONS_DIR, `${name}.sql`), 'utf8')).execute(db);
        },
      };
    }
    return out;
  }
}

export interface MigrationReport {
  applied: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationReport> {
  const names = migrationNames();
  // Fast path for every start after the first: one query (and no file read) instead of the
  // migrator's lock dance.
  if (await allApplied(db, names)) return { applied: [] };
  const migrator = new Migrator({ db, provider: new SqlFileProvider(names) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
async function allApplied(db: Kysely<any>, names: string[]): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db);
    const applied = new Set(rows.map((r) => r.name));
    return names.every((n) => applied.has(n));
  } catch {
    return false; // no migration table yet
  }
}
