// The CISA Known Exploited Vulnerabilities (KEV) catalogue, as published at
// https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json.
// The zod schema follows CISA's JSON schema (known_exploited_vulnerabilities_schema.json, draft-07):
// the catalogue has catalogVersion, dateReleased (date-time), count and vulnerabilities; an entry
// requires cveID (CVE-YYYY-NNNN…), vendorProject, product, vulnerabilityName, dateAdded (date),
// shortDescription, requiredAction and dueDate (date), and may carry knownRansomwareCampaignUse
// ('Known' or 'Unknown'), notes and cwes (CWE-N…). Extra properties are allowed there, so they
// are dropped here rather than refused.
//
// A KEV entry means CISA has evidence of exploitation in the wild: each becomes an
// attacks-observed Signal (Vultron event A) for the matcher in domain/cords.ts.
import { z } from 'zod';
import type { Signal } from '../domain/cords.ts';
import { type CveId, CveIdSchema } from './cve-id.ts';

export const KevEntrySchema = z.object({
  cveID: CveIdSchema,
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: z.iso.date(),
  shortDescription: z.string(),
  requiredAction: z.string(),
  dueDate: z.iso.date(),
  knownRansomwareCampaignUse: z.string().optional(),
  notes: z.string().optional(),
  cwes: z.array(z.string().regex(/^CWE-([0-9])+$/)).optional(),
});
export type KevEntry = z.output<typeof KevEntrySchema>;

export const KevCatalogSchema = z.object({
  catalogVersion: z.string(),
  dateReleased: z.iso.datetime({ offset: true }),
  count: z.number().int(),
  vulnerabilities: z.array(KevEntrySchema),
});
export type KevCatalog = z.output<typeof KevCatalogSchema>;

export class KevError extends Error {}

/** Validates a parsed KEV document; throws KevError naming the first problems. */
export function parseKevCatalog(json: unknown): KevCatalog {
  const r = KevCatalogSchema.safeParse(json);
  if (r.success) return r.data;
  const where = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new KevError(`not a KEV catalogue: ${where}`);
}

/** Parses KEV catalogue text (JSON). */
export function parseKevText(text: string): KevCatalog {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new KevError(`the KEV catalogue is not JSON: ${(e as Error).message}`);
  }
  return parseKevCatalog(json);
}

/** The Signal for one entry; dateAdded (a day) counts from its start, UTC. */
export function kevSignal(entry: KevEntry, catalogVersion: string): Signal {
  const notes = entry.notes ?? '';
  return {
    id: `kev:${entry.cveID}`,
    kind: 'attacks-observed',
    source: {
      kind: 'kev',
      catalogVersion,
      vendorProject: entry.vendorProject,
      product: entry.product,
      knownRansomwareCampaignUse: entry.knownRansomwareCampaignUse === 'Known',
      notes,
    },
    at: new Date(`${entry.dateAdded}T00:00:00Z`),
    cveIds: [entry.cveID as CveId],
    purls: [],
    text: [`${entry.vendorProject} ${entry.product}: ${entry.vulnerabilityName}`, entry.shortDescription, notes]
      .filter((s) => s.length > 0)
      .join('\n'),
  };
}

/** One Signal per entry, in catalogue order. */
export function kevSignals(catalog: KevCatalog): Signal[] {
  return catalog.vulnerabilities.map((e) => kevSignal(e, catalog.catalogVersion));
}

/**
 * Signals for entries added on or after the UTC day of `since` (for polling: pass the time of the
 * last poll). dateAdded is only a day, so entries of that day come again; firing a cord is
 * idempotent, so that is harmless, whereas skipping the day could miss an entry.
 */
export function kevSignalsSince(catalog: KevCatalog, since: Date): Signal[] {
  const day = since.toISOString().slice(0, 10);
  return catalog.vulnerabilities.filter((e) => e.dateAdded >= day).map((e) => kevSignal(e, catalog.catalogVersion));
}
