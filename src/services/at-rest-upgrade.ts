// The start-up step that brings a database from before encryption at rest (migration 0007) to
// its sealed form: it gives every case and report a data key, seals the plaintext already in the
// rows (in batches, each its own transaction), and then drops the plaintext columns. Idempotent:
// a row already sealed has no plaintext left and is skipped, so an interrupted run resumes.
// Runs under the startup lock (src/app.ts), before the server takes requests.
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import type { DB } from '../store/schema.ts';
import { boxFor, caseOwner, createDataKey, ensureInstanceKey, type KeyOwner, MAIL_OWNER, reportOwner } from './data-keys.ts';

type Row = Record<string, unknown>;

interface SealedColumn {
  plain: string;
  sealed: string;
  kind: 'text' | 'bytes' | 'json';
  /** The sealed column is NOT NULL once the plaintext is gone. */
  required: boolean;
}

interface Spec {
  table: string;
  /** The primary key column, to update the row by. */
  pk: string;
  /** Other columns the owner and row key need. */
  extra: string[];
  owner(r: Row): KeyOwner;
  /** The row part of each value's associated data: what the services use. */
  rowKey(r: Row): string;
  cols: SealedColumn[];
}

const text = (plain: string, required = true): SealedColumn => ({ plain, sealed: `${plain}_sealed`, kind: 'text', required });

/** Every sealed column, with the plaintext column it replaces (the services seal these values the same way). */
export const SEALED_COLUMNS: Spec[] = [
  {
    table: 'reports',
    pk: 'id',
    extra: [],
    owner: (r) => reportOwner(String(r.id)),
    rowKey: (r) => String(r.id),
    cols: [text('title'), text('description')],
  },
  {
    table: 'report_messages',
    pk: 'id',
    extra: ['report_id'],
    owner: (r) => reportOwner(String(r.report_id)),
    rowKey: (r) => String(r.id),
    cols: [text('body')],
  },
  {
    table: 'report_attachments',
    pk: 'id',
    extra: ['report_id'],
    owner: (r) => reportOwner(String(r.report_id)),
    rowKey: (r) => String(r.id),
    cols: [{ plain: 'content', sealed: 'content_sealed', kind: 'bytes', required: true }],
  },
  {
    table: 'cases',
    pk: 'id',
    extra: [],
    owner: (r) => caseOwner(String(r.id)),
    rowKey: (r) => String(r.id),
    cols: [text('title'), text('summary')],
  },
  {
    table: 'vulnerabilities',
    pk: 'id',
    extra: ['case_id'],
    owner: (r) => caseOwner(String(r.case_id)),
    rowKey: (r) => String(r.id),
    cols: [text('title'), text('description')],
  },
  {
    table: 'case_messages',
    pk: 'id',
    extra: ['case_id'],
    owner: (r) => caseOwner(String(r.case_id)),
    rowKey: (r) => String(r.id),
    cols: [text('subject'), text('body')],
  },
  {
    table: 'case_artifacts',
    pk: 'id',
    extra: ['case_id'],
    owner: (r) => caseOwner(String(r.case_id)),
    rowKey: (r) => String(r.id),
    cols: [{ plain: 'content', sealed: 'content_sealed', kind: 'bytes', required: true }],
  },
  {
    table: 'statements',
    pk: 'id',
    extra: ['case_id', 'vulnerability_id', 'org_id'],
    owner: (r) => caseOwner(String(r.case_id)),
    rowKey: (r) => `${r.vulnerability_id}:${r.org_id}`,
    cols: [text('justification', false), text('remediation', false), text('public_statement', false)],
  },
  {
    table: 'briefing_packets',
    pk: 'id',
    extra: ['case_id', 'tent_id', 'org_id'],
    owner: (r) => caseOwner(String(r.case_id)),
    rowKey: (r) => `${r.case_id}:${r.tent_id}:${r.org_id}`,
    cols: [{ plain: 'content', sealed: 'content_sealed', kind: 'json', required: true }],
  },
  {
    table: 'case_cords',
    pk: 'case_id',
    extra: [],
    owner: (r) => caseOwner(String(r.case_id)),
    rowKey: (r) => String(r.case_id),
    cols: [{ plain: 'keywords', sealed: 'keywords_sealed', kind: 'json', required: false }],
  },
  {
    table: 'mail_outbox',
    pk: 'key',
    extra: [],
    owner: () => MAIL_OWNER,
    rowKey: (r) => String(r.key),
    cols: [{ plain: 'body_text', sealed: 'body_sealed', kind: 'text', required: false }],
  },
];

const BATCH = 200;

type Ctx = Pick<AppContext, 'keys' | 'clock'>;

/** Plaintext columns still present, by table. */
async function remainingPlaintext(db: Kysely<DB>): Promise<Map<string, Set<string>>> {
  // From the catalog itself: the information_schema view costs far more, and this runs at every start.
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    SELECT c.relname AS table_name, a.attname AS column_name
      FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = current_schema()::regnamespace
       AND c.relname IN (${sql.join(SEALED_COLUMNS.map((s) => s.table))})
       AND a.attnum > 0 AND NOT a.attisdropped`.execute(db);
  const out = new Map<string, Set<string>>();
  for (const spec of SEALED_COLUMNS) {
    const present = new Set(rows.filter((r) => r.table_name === spec.table).map((r) => r.column_name));
    const plain = spec.cols.filter((c) => present.has(c.plain)).map((c) => c.plain);
    if (plain.length) out.set(spec.table, new Set(plain));
  }
  return out;
}

/** Gives every case and report that has none a data key (each batch committed before use). */
async function ensureOwnerKeys(ctx: Ctx, db: Kysely<DB>): Promise<number> {
  let made = 0;
  for (const [table, prefix] of [
    ['cases', 'case'],
    ['reports', 'report'],
  ] as const) {
    for (;;) {
      const { rows } = await sql<{ id: string }>`
        SELECT t.id FROM ${sql.table(table)} t
         WHERE NOT EXISTS (SELECT 1 FROM data_keys k WHERE k.owner = ${`${prefix}:`} || t.id::text)
         LIMIT ${BATCH}`.execute(db);
      if (!rows.length) break;
      const now = ctx.clock.now();
      await db.transaction().execute(async (trx) => {
        for (const r of rows) await createDataKey(ctx, trx, `${prefix}:${r.id}`, now);
      });
      made += rows.length;
    }
  }
  return made;
}

async function sealTable(ctx: Ctx, db: Kysely<DB>, spec: Spec, present: Set<string>): Promise<number> {
  const cols = spec.cols.filter((c) => present.has(c.plain));
  let sealed = 0;
  for (;;) {
    const selects: unknown[] = [spec.pk, ...spec.extra].map((c) => sql.ref(c));
    // JSON (and arrays, as JSON) are sealed as their JSON text.
    for (const c of cols)
      selects.push(c.kind === 'json' ? sql`to_jsonb(${sql.ref(c.plain)})::text`.as(c.plain) : sql.ref(c.plain));
    const { rows } = await sql<Row>`
      SELECT ${sql.join(selects)} FROM ${sql.table(spec.table)}
       WHERE ${sql.join(
         cols.map((c) => sql`${sql.ref(c.plain)} IS NOT NULL`),
         sql` OR `,
       )}
       LIMIT ${BATCH}`.execute(db);
    if (!rows.length) return sealed;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const box = await boxFor(ctx, trx, spec.owner(r));
        const sets = cols.flatMap((c) => {
          const v = r[c.plain];
          const value = v === null || v === undefined ? null : c.kind === 'bytes' ? Buffer.from(v as Uint8Array) : String(v);
          const s = value === null ? null : box.seal(`${spec.table}.${c.plain}`, spec.rowKey(r), value);
          return [sql`${sql.ref(c.sealed)} = ${s}`, sql`${sql.ref(c.plain)} = NULL`];
        });
        await sql`UPDATE ${sql.table(spec.table)} SET ${sql.join(sets)} WHERE ${sql.ref(spec.pk)} = ${r[spec.pk]}`.execute(trx);
      }
    });
    sealed += rows.length;
  }
}

/**
 * Participants' signal evidence, kept inside cord_signals.signal before migration 0014: sealed
 * into evidence_sealed (as src/services/cords.ts storeSignal does) and taken out of the signal.
 */
async function sealSignalEvidence(ctx: Ctx, db: Kysely<DB>): Promise<number> {
  let sealed = 0;
  for (;;) {
    const { rows } = await sql<{ id: string; case_id: string; signal: string }>`
      SELECT id, case_id, signal::text AS signal FROM cord_signals
       WHERE case_id IS NOT NULL AND feed_id IS NULL AND (signal -> 'source') ? 'evidence'
       LIMIT ${BATCH}`.execute(db);
    if (!rows.length) return sealed;
    await db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const signal = JSON.parse(r.signal) as { text?: string; source: Record<string, unknown> };
        const { evidence, ...source } = signal.source;
        const box = await boxFor(ctx, trx, caseOwner(r.case_id));
        await trx
          .updateTable('cord_signals')
          .set({
            signal: JSON.stringify({ ...signal, source, text: '' }),
            evidence_sealed: box.sealJson('cord_signals.evidence', r.id, evidence),
          })
          .where('id', '=', r.id)
          .execute();
      }
    });
    sealed += rows.length;
  }
}

/**
 * Seals what a database from before 0007 holds in plaintext and drops the plaintext columns.
 * Quick when there is nothing to do (one catalogue query).
 */
export async function upgradeToSealed(ctx: Ctx, db: Kysely<DB>, log?: Logger): Promise<{ keys: number; rows: number }> {
  await ensureInstanceKey(ctx, db, ctx.clock.now());
  const remaining = await remainingPlaintext(db);
  if (!remaining.size) return { keys: 0, rows: await sealSignalEvidence(ctx, db) };
  const keys = await ensureOwnerKeys(ctx, db);
  let rows = 0;
  for (const spec of SEALED_COLUMNS) {
    const present = remaining.get(spec.table);
    if (present) rows += await sealTable(ctx, db, spec, present);
  }
  rows += await sealSignalEvidence(ctx, db);
  // Timeline entries used to quote a vulnerability's title: say only what happened.
  await sql`UPDATE case_events SET summary = 'Vulnerability added'
             WHERE kind = 'vulnerability.added' AND data->>'cveId' IS NULL AND summary <> 'Vulnerability added'`.execute(db);
  await db.transaction().execute(async (trx) => {
    for (const spec of SEALED_COLUMNS) {
      const present = remaining.get(spec.table);
      if (!present) continue;
      for (const c of spec.cols) {
        if (present.has(c.plain)) await sql`ALTER TABLE ${sql.table(spec.table)} DROP COLUMN ${sql.ref(c.plain)}`.execute(trx);
        if (c.required)
          await sql`ALTER TABLE ${sql.table(spec.table)} ALTER COLUMN ${sql.ref(c.sealed)} SET NOT NULL`.execute(trx);
      }
    }
    // Checks that named the plaintext columns went with them.
    if (remaining.get('mail_outbox')?.has('body_text')) {
      await sql`ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_body
                CHECK (body_sealed IS NOT NULL OR state IN ('sent', 'failed', 'skipped'))`.execute(trx);
    }
    if (remaining.get('statements')?.has('justification')) {
      await sql`ALTER TABLE statements ADD CONSTRAINT statements_justified
                CHECK (status <> 'not_affected' OR justification_sealed IS NOT NULL)`.execute(trx);
    }
  });
  log?.info({ keys, rows }, 'encryption at rest: sealed the plaintext already stored and dropped its columns');
  return { keys, rows };
}
