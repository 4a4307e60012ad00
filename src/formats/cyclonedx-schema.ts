// CycloneDX JSON schema validation with the schemas @cyclonedx/cyclonedx-library ships (its
// res/schema folder, Apache-2.0) and the same ajv set-up as the library's own JsonValidator
// (ajv-formats, idn-email from ajv-formats-draft2019, iri-reference accepted, no remote schemas).
// One difference, for speed only: ajv checks `uniqueItems` by comparing every pair of items
// (quadratic: about 200 ms for 1,000 components); here each `uniqueItems: true` is replaced by a
// keyword that groups the items by a cheap key equal values share and compares only items of one
// group by their canonical JSON (RFC 8785): exactly the same duplicates (equal JSON values have
// equal canonical forms), in about linear time.
// ajv and its formats are imported on first use: most processes never validate an SBOM.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import canonicalize from 'canonicalize';

/** The library's schema folder (its package.json is exported; the schemas sit in res/schema beside it). */
const SCHEMA_DIR = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res',
  'schema',
);
const schemaFile = (name: string) => path.join(SCHEMA_DIR, name);

/** Replaces `uniqueItems: true` with `uniqueItemsHashed: true` throughout a schema (in place). */
function hashUniqueItems(node: unknown): void {
  if (Array.isArray(node)) {
    for (const x of node) hashUniqueItems(x);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (o.uniqueItems === true) {
    delete o.uniqueItems;
    o.uniqueItemsHashed = true;
  }
  for (const v of Object.values(o)) hashUniqueItems(v);
}

/**
 * A cheap key that equal JSON values share, whatever their key order: a primitive as JSON; an
 * object by its number of keys and its longest string value (the greatest of equally long ones);
 * an array by its length. Only items with the same key are compared in full.
 */
function fingerprint(x: unknown): string {
  if (x === null || typeof x !== 'object') return typeof x === 'string' ? `s${x}` : `p${String(x)}`;
  if (Array.isArray(x)) return `a${x.length}`;
  let keys = 0;
  let best = '';
  for (const k in x as Record<string, unknown>) {
    keys++;
    const v = (x as Record<string, unknown>)[k];
    if (typeof v === 'string' && (v.length > best.length || (v.length === best.length && v > best))) best = v;
  }
  return `o${keys}:${best}`;
}

/** The index of the first item equal (as JSON) to an earlier one, or -1. */
export function firstDuplicate(items: readonly unknown[]): number {
  const groups = new Map<string, number[]>();
  const canonical = new Map<number, string>();
  const full = (i: number) => {
    let c = canonical.get(i);
    if (c === undefined) {
      c = canonicalize(items[i]) ?? 'undefined';
      canonical.set(i, c);
    }
    return c;
  };
  for (let i = 0; i < items.length; i++) {
    const key = fingerprint(items[i]);
    const same = groups.get(key);
    if (!same) {
      groups.set(key, [i]);
      continue;
    }
    for (const j of same) if (full(j) === full(i)) return i;
    same.push(i);
  }
  return -1;
}

const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

async function importAjv() {
  const [ajv, formats, draft2019] = await Promise.all([import('ajv'), import('ajv-formats'), import('ajv-formats-draft2019')]);
  return {
    Ajv: ajv.Ajv,
    addFormats: formats.default as unknown as (ajv: AjvClass) => void,
    addDraft2019Formats: draft2019.default,
  };
}
let ajvLibrary: ReturnType<typeof importAjv> | null = null;

const compiled = new Map<string, ValidateFunction>();

async function validatorFor(version: string): Promise<ValidateFunction> {
  const hit = compiled.get(version);
  if (hit) return hit;
  if (!/^1\.[2-6]$/.test(version)) throw new Error(`no CycloneDX ${version} JSON schema`);
  ajvLibrary ??= importAjv();
  const { Ajv, addFormats, addDraft2019Formats } = await ajvLibrary;
  const again = compiled.get(version); // compiled by a concurrent call meanwhile
  if (again) return again;
  const schemas: Record<string, Record<string, unknown>> = {
    'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': readJson(schemaFile('spdx.SNAPSHOT.schema.json')),
    'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': readJson(
      schemaFile('cryptography-defs.SNAPSHOT.schema.json'),
    ),
    'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': readJson(schemaFile('jsf-0.82.SNAPSHOT.schema.json')),
  };
  const schema = readJson(schemaFile(`bom-${version}.SNAPSHOT.schema.json`));
  hashUniqueItems(schema);
  for (const s of Object.values(schemas)) hashUniqueItems(s);
  const ajv = new Ajv({
    useDefaults: false,
    strict: false,
    strictSchema: false,
    addUsedSchema: false,
    schemas,
    loadSchema: (uri: string) => {
      throw new Error(`Remote schemas are disabled: ${uri}`);
    },
  });
  addFormats(ajv);
  addDraft2019Formats(ajv, { formats: ['idn-email'] });
  ajv.addFormat('iri-reference', true);
  ajv.addKeyword({
    keyword: 'uniqueItemsHashed',
    type: 'array',
    schemaType: 'boolean',
    errors: true,
    validate: function unique(this: unknown, on: boolean, data: unknown[]) {
      if (!on) return true;
      const i = firstDuplicate(data);
      if (i < 0) return true;
      (unique as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        { keyword: 'uniqueItems', message: `must NOT have duplicate items (item ${i} repeats an earlier one)`, params: { i } },
      ];
      return false;
    },
  });
  const v = ajv.compile(schema);
  compiled.set(version, v);
  return v;
}

/** Validates a parsed CycloneDX JSON document; the first error, or null when it is valid. */
export async function cycloneDxSchemaError(version: string, doc: unknown): Promise<{ path: string; message: string } | null> {
  const v = await validatorFor(version);
  if (v(doc)) return null;
  const first = v.errors?.[0];
  return { path: first?.instancePath || '/', message: first?.message ?? 'invalid' };
}
