// `village sbom import DIR [--org SLUG]`: imports every SBOM file (*.json, *.xml) under DIR. With
// --org, all of them belong to that organization; without it, each first-level directory of DIR
// is named by an organization's slug. Each file becomes the SBOM of a product version, named by
// the SBOM's own product component (metadata.component, or SPDX's described package) or else by
// the file; products are created as needed. Progress goes to stderr, the summary to stdout.
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { AppContext, RequestMeta } from '../context.ts';
import { parseSbom, SbomError } from '../formats/sbom.ts';
import { createLogger } from '../http/logging.ts';
import { createJobQueue } from '../jobs/pgboss-queue.ts';
import { registerSbomMatch } from '../services/affected.ts';
import { mergeAndTidy } from '../services/component-index.ts';
import { openInstanceKeys } from '../services/instance-keys.ts';
import { stopWarmUp } from '../services/package-intern.ts';
import { createProduct, ingestSbom, measured } from '../services/sboms.ts';
import { lockDataDir } from '../store/data-dir-lock.ts';
import { openDatabase } from '../store/database.ts';
import { migrateToLatest } from '../store/migrate.ts';

const SBOM_FILE = /\.(json|xml)$/i;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile() && SBOM_FILE.test(e.name)) out.push(p);
  }
  return out;
}

const cleanVersion = (v: string) =>
  v
    .replace(/[^A-Za-z0-9._+~:-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100) || 'unversioned';
const productNameOf = (file: string) => path.basename(file).replace(/(\.(cdx|spdx|bom|sbom))?\.(json|xml)$/i, '');

export async function sbomImport(config: Config, dir: string, opts: { org?: string }): Promise<void> {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir} is not a directory`);
  const plan: Array<{ file: string; org: string }> = opts.org
    ? filesUnder(dir).map((file) => ({ file, org: opts.org as string }))
    : readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .flatMap((e) => filesUnder(path.join(dir, e.name)).map((file) => ({ file, org: e.name })));
  if (!plan.length) throw new Error(`no SBOM files (*.json, *.xml) under ${dir}${opts.org ? '' : '/<org-slug>/'}`);

  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  // Enqueue only: the server's workers check the new SBOMs against open cases.
  const jobs = createJobQueue({ database, log, workers: false });
  const started = Date.now();
  const err = (s: string) => process.stderr.write(`${s}\n`);
  let ok = 0;
  let components = 0;
  const failures: string[] = [];
  try {
    await migrateToLatest(database.db);
    const keys = await openInstanceKeys(database.db, config, systemClock.now());
    const ctx: AppContext = { config, database, db: database.db, clock: systemClock, log, jobs, keys };
    // Declares the queue; this process runs no handlers (the index merge is run below, at the end).
    registerSbomMatch(ctx);
    await jobs.start();
    const meta: RequestMeta = { actor: { type: 'anonymous' }, requestId: `cli:sbom-import:${started}` };
    const orgIds = new Map<string, string | null>();
    for (const [i, { file, org }] of plan.entries()) {
      const label = `[${i + 1}/${plan.length}] ${path.relative(dir, file)}`;
      const t0 = Date.now();
      try {
        if (!orgIds.has(org)) {
          const o = await ctx.db.selectFrom('organizations').select('id').where('slug', '=', org).executeTakeFirst();
          orgIds.set(org, o?.id ?? null);
        }
        const orgId = orgIds.get(org);
        if (!orgId) throw new Error(`no organization with slug "${org}"`);
        const seen = { bytes: 0, hash: createHash('sha256') };
        const sbom = await parseSbom(measured(createReadStream(file, { highWaterMark: 256 * 1024 }), config.sbomMaxBytes, seen), {
          schemaValidateBytes: config.sbomSchemaMaxBytes,
        });
        const name = (sbom.root?.name ?? productNameOf(file)).slice(0, 200);
        const version = cleanVersion(sbom.root?.version ?? 'unversioned');
        const existing = await ctx.db
          .selectFrom('products')
          .select('id')
          .where('org_id', '=', orgId)
          .where('name', '=', name)
          .executeTakeFirst();
        const productId = existing?.id ?? (await createProduct(ctx, meta, orgId, { name })).id;
        const r = await ingestSbom(ctx, meta, {
          orgId,
          productId,
          version,
          sbom,
          sha256: seen.hash.digest('hex'),
          sizeBytes: seen.bytes,
        });
        ok++;
        components += r.components;
        err(
          `${label} → ${org}/${name}@${version}: ${r.components} components, ${r.direct} direct${r.replaced ? ', replaced' : ''}` +
            `${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''} (${Date.now() - t0} ms)`,
        );
      } catch (e) {
        const why = e instanceof SbomError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
        failures.push(`${path.relative(dir, file)}: ${why}`);
        err(`${label} FAILED: ${why}`);
      }
    }
    // Pack what was imported into the component index now rather than when the server next runs.
    if (ok) await mergeAndTidy(ctx.db);
  } finally {
    await jobs.stop();
    await stopWarmUp(database.db);
    await database.close();
    unlock();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `imported ${ok} of ${plan.length} SBOMs (${components} components) in ${secs} s; ${failures.length} failed\n` +
      failures.map((f) => `  failed: ${f}\n`).join(''),
  );
  if (failures.length) process.exitCode = 1;
}
