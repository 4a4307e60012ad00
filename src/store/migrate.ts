// Versioned SQL migrations, plain .sql files applied in name order by Kysely's Migrator
// (which takes an advisory lock, so two servers starting together apply each once).
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

// Beside this module in the sources; from the bundle (dist/), in the sources it was built from.
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MIGRATIONS_DIR = [path.join(HERE, 'migrations'), path.join(HERE, '..', 'src', 'store', 'migrations')].find((d) =>
  existsSync(d),
) as string;

class SqlFileProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      const text = await fs.readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
      out[file.replace(/\.sql$/, '')] = {
        up: async (db) => {
          await sql.raw(text).execute(db);
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
  const provider = new SqlFileProvider();
  // Fast path for every start after the first: one query instead of the migrator's lock dance.
  if (await allApplied(db, Object.keys(await provider.getMigrations()))) return { applied: [] };
  const migrator = new Migrator({ db, provider });
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
