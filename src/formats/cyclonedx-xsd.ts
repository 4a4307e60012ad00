// CycloneDX XML schema validation: libxml2's XSD validator, compiled to WebAssembly (libxml2-wasm),
// with the official XSDs @cyclonedx/cyclonedx-library ships (res/schema: bom-1.x.SNAPSHOT.xsd,
// which imports spdx.SNAPSHOT.xsd; Apache-2.0). libxml2 validates a document tree, so the whole
// document sits in WebAssembly memory (3–5× its size, measured): this runs on a worker thread
// (cyclonedx-xsd-thread.ts), for documents up to a size bound, and libxml2-wasm is imported on
// first use only.
//
// XXE: documents are parsed without entity substitution or DTD loading (no XML_PARSE_NOENT,
// XML_PARSE_DTDLOAD), with XML_PARSE_NONET and XML_PARSE_NO_XXE, and libxml2's entity
// amplification limit on (no XML_PARSE_HUGE). The only files libxml2 may open are the schema files,
// served from memory by an input provider that refuses every other name.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Libxml2 from 'libxml2-wasm';

export const XSD_VERSIONS = ['1.2', '1.3', '1.4', '1.5', '1.6'] as const;

/** One problem as libxml2 reports it: the line (null: the whole document) and its message. */
export interface XsdIssue {
  line: number | null;
  message: string;
}

export type XsdResult =
  | { valid: true }
  /** `malformed`: libxml2 could not parse the document; `schema`: it does not follow the XSD. */
  | { valid: false; kind: 'schema' | 'malformed'; issues: XsdIssue[]; total: number };

const SCHEMA_DIR = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res',
  'schema',
);
/** The schemas' base URL for libxml2, so that bom-1.x's import of spdx.SNAPSHOT.xsd resolves to a served name. */
const BASE = '/cyclonedx-schema/';
const SERVED = ['spdx.SNAPSHOT.xsd', ...XSD_VERSIONS.map((v) => `bom-${v}.SNAPSHOT.xsd`)];

/** The names libxml2 asked the input provider for (the last 100), for tests to check nothing else was asked. */
const requested: string[] = [];
export const inputsRequested = (): readonly string[] => requested;

let loading: Promise<typeof Libxml2> | null = null;
const validators = new Map<string, Libxml2.XsdValidator>();

function load(): Promise<typeof Libxml2> {
  loading ??= import('libxml2-wasm').then((lx) => {
    const files = new Map(SERVED.map((f) => [BASE + f, readFileSync(path.join(SCHEMA_DIR, f))]));
    const open = new Map<number, { bytes: Buffer; at: number }>();
    let next = 1;
    lx.xmlRegisterInputProvider({
      // Every name is ours to answer, so libxml2 never falls back to another loader.
      match: () => true,
      open: (name) => {
        requested.push(name);
        if (requested.length > 100) requested.shift();
        const bytes = files.get(name);
        if (!bytes) return undefined;
        const fd = next++;
        open.set(fd, { bytes, at: 0 });
        return fd;
      },
      read: (fd, buf) => {
        const f = open.get(fd);
        if (!f) return -1;
        const n = Math.min(buf.byteLength, f.bytes.length - f.at);
        buf.set(f.bytes.subarray(f.at, f.at + n));
        f.at += n;
        return n;
      },
      close: (fd) => open.delete(fd),
    });
    return lx;
  });
  return loading;
}

function parseOptions(lx: typeof Libxml2): number {
  const P = lx.ParseOption;
  return P.XML_PARSE_NONET | P.XML_PARSE_NO_XXE | P.XML_PARSE_BIG_LINES;
}

function validatorFor(lx: typeof Libxml2, version: string): Libxml2.XsdValidator {
  const hit = validators.get(version);
  if (hit) return hit;
  if (!(XSD_VERSIONS as readonly string[]).includes(version)) throw new Error(`no CycloneDX ${version} XSD`);
  const name = `bom-${version}.SNAPSHOT.xsd`;
  const xsd = lx.XmlDocument.fromBuffer(readFileSync(path.join(SCHEMA_DIR, name)), {
    url: BASE + name,
    option: parseOptions(lx),
  });
  try {
    const v = lx.XsdValidator.fromDoc(xsd);
    validators.set(version, v);
    return v;
  } finally {
    xsd.dispose();
  }
}

/**
 * libxml2's message, on one line, without the CycloneDX namespace the version already names:
 * "Element '{http://cyclonedx.org/schema/bom/1.6}bogus': …" becomes "Element 'bogus': …".
 */
export function xsdMessage(message: string, version: string): string {
  return message.replaceAll(`{http://cyclonedx.org/schema/bom/${version}}`, '').replace(/\s+/g, ' ').trim();
}

function issues(details: readonly Libxml2.ErrorDetail[], version: string, lineOffset: number, max: number) {
  const errors = details.filter((d) => d.level >= 2);
  const list = errors.length ? errors : details;
  return {
    issues: list.slice(0, max).map((d) => ({ line: d.line + lineOffset, message: xsdMessage(d.message, version) })),
    total: list.length,
  };
}

const UNVALIDATABLE = 'libxml2 cannot validate the document: it holds entity references, which are not expanded';

export interface XsdOptions {
  /** At most this many issues are returned (the total is counted). Default 10. */
  maxIssues?: number;
  /** Added to libxml2's line numbers (lines the caller removed before the document's first character). */
  lineOffset?: number;
}

/**
 * Validates a CycloneDX XML document (UTF-8, whatever its declaration says) against the XSD of
 * `version` (1.2–1.6). Synchronous once libxml2 is loaded; meant for a worker thread.
 */
export async function validateCycloneDxXml(version: string, xml: Uint8Array, opts: XsdOptions = {}): Promise<XsdResult> {
  const lx = await load();
  const max = opts.maxIssues ?? 10;
  const offset = opts.lineOffset ?? 0;
  const validator = validatorFor(lx, version);
  let doc: Libxml2.XmlDocument;
  try {
    doc = lx.XmlDocument.fromBuffer(xml, { option: parseOptions(lx), encoding: 'UTF-8' });
  } catch (e) {
    if (e instanceof lx.XmlParseError) return { valid: false, kind: 'malformed', ...issues(e.details, version, offset, max) };
    throw e;
  }
  try {
    validator.validate(doc);
    return { valid: true };
  } catch (e) {
    if (e instanceof lx.XmlValidateError) return { valid: false, kind: 'schema', ...issues(e.details, version, offset, max) };
    // libxml2 validates a tree without entity references only (it does not expand them, by design here).
    if (e instanceof lx.XmlError)
      return { valid: false, kind: 'schema', issues: [{ line: null, message: UNVALIDATABLE }], total: 1 };
    throw e;
  } finally {
    doc.dispose();
  }
}
