// Validation of the documents a release publishes: each against its official JSON schema
// (vendored in ./schemas, see its README), and CSAF also against the mandatory tests (CSAF 2.0
// §6.1) of @secvisogram/csaf-validator-lib. A failure names the test or schema path at fault.
// Everything here is loaded on first use (ajv and the schemas take a while to load and compile, and
// only a release needs them): a server warms it up in steps after it starts listening.
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';

export interface DocumentProblem {
  /** "schema" or the CSAF test's name (e.g. mandatoryTest_6_1_6). */
  test: string;
  /** JSON pointer into the document. */
  path: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  problems: DocumentProblem[];
}

type Compiled = { csaf: ValidateFunction; provider: ValidateFunction; cve: ValidateFunction; osv: ValidateFunction };
let compiled: Compiled | null = null;

/** The libraries and schemas, imported once. */
async function importAll() {
  const [ajv, ajv2020, formats, cvssV20, cvssV30, cvssV31, csaf, provider, cve, osv] = await Promise.all([
    import('ajv'),
    import('ajv/dist/2020.js'),
    import('ajv-formats'),
    import('@secvisogram/csaf-validator-lib/schemas/cvss-v2.0.js'),
    import('@secvisogram/csaf-validator-lib/schemas/cvss-v3.0.js'),
    import('@secvisogram/csaf-validator-lib/schemas/cvss-v3.1.js'),
    import('./schemas/csaf/csaf_json_schema.json', { with: { type: 'json' } }),
    import('./schemas/csaf/provider_json_schema.json', { with: { type: 'json' } }),
    import('./schemas/cve/CVE_JSON_5.1_bundled.json', { with: { type: 'json' } }),
    import('./schemas/osv/schema.json', { with: { type: 'json' } }),
  ]);
  return {
    Ajv: ajv.Ajv,
    Ajv2020: ajv2020.Ajv2020,
    addFormats: formats.default as unknown as (ajv: Ajv | Ajv2020) => void,
    cvss: { '2.0': cvssV20.default, '3.0': cvssV30.default, '3.1': cvssV31.default },
    schemas: { csaf: csaf.default, provider: provider.default, cve: cve.default, osv: osv.default },
  };
}

let imported: ReturnType<typeof importAll> | null = null;

/**
 * The schema compilations, one step each: warmDocumentValidation runs them with a turn of the
 * event loop between, so a server answering requests is never held up by all of them at once.
 */
async function compileSteps(): Promise<Array<() => void>> {
  imported ??= importAll();
  const { Ajv, Ajv2020, addFormats, cvss, schemas } = await imported;
  const a2020 = new Ajv2020({ allErrors: true, strict: false });
  addFormats(a2020);
  const a7 = new Ajv({ allErrors: true, strict: false });
  addFormats(a7);
  const out: Partial<Compiled> = {};
  return [
    () => {
      // The FIRST CVSS schemas the CSAF schema references (shipped with csaf-validator-lib).
      a2020.addSchema(cvss['2.0'], 'https://www.first.org/cvss/cvss-v2.0.json');
      a2020.addSchema(cvss['3.0'], 'https://www.first.org/cvss/cvss-v3.0.json');
      a2020.addSchema(cvss['3.1'], 'https://www.first.org/cvss/cvss-v3.1.json');
      a2020.addSchema(schemas.csaf);
      out.csaf = a2020.getSchema(schemas.csaf.$id) as ValidateFunction;
    },
    () => {
      out.provider = a2020.compile(schemas.provider);
    },
    () => {
      out.osv = a2020.compile(schemas.osv);
    },
    () => {
      out.cve = a7.compile(schemas.cve);
    },
    () => {
      compiled ??= out as Compiled;
    },
  ];
}

async function validators(): Promise<Compiled> {
  if (!compiled) for (const step of await compileSteps()) step();
  return compiled as Compiled;
}

function schemaProblems(errors: ErrorObject[] | null | undefined): DocumentProblem[] {
  return (errors ?? []).map((e) => ({ test: 'schema', path: e.instancePath || '/', message: e.message ?? 'invalid' }));
}

function bySchema(v: ValidateFunction, doc: unknown): ValidationResult {
  const valid = v(doc) as boolean;
  return { valid, problems: valid ? [] : schemaProblems(v.errors) };
}

type CsafTest = (doc: unknown) => { isValid?: boolean; errors?: Array<{ message: string; instancePath: string }> };

let mandatory: Promise<CsafTest[]> | null = null;

function mandatoryTests(): Promise<CsafTest[]> {
  // Loaded on first use: the test set is large (its import compiles schemas and loads language
  // and CWE catalogues), and most processes never publish.
  mandatory ??= import('@secvisogram/csaf-validator-lib/mandatoryTests.js').then((m) =>
    Object.values(m as unknown as Record<string, unknown>).filter((t): t is CsafTest => typeof t === 'function'),
  );
  return mandatory;
}

/**
 * Loads the CSAF tests and compiles the schemas ahead of the first release (a long-running server
 * calls it once it listens, so the release itself does not pay for it).
 */
export async function warmDocumentValidation(): Promise<void> {
  if (!compiled) {
    for (const step of await compileSteps()) {
      await new Promise((resolve) => setImmediate(resolve));
      step();
    }
  }
  await mandatoryTests();
}

/** CSAF 2.0: the OASIS schema, then every mandatory test. */
export async function validateCsaf(doc: unknown): Promise<ValidationResult> {
  const schema = bySchema((await validators()).csaf, doc);
  if (!schema.valid) return schema;
  const problems: DocumentProblem[] = [];
  const tests = await mandatoryTests();
  for (const test of tests) {
    const r = await test(doc);
    if (r.isValid === false || (r.errors?.length ?? 0) > 0) {
      for (const e of r.errors ?? [{ message: 'failed', instancePath: '/' }]) {
        problems.push({ test: test.name, path: e.instancePath || '/', message: e.message });
      }
    }
  }
  return { valid: problems.length === 0, problems };
}

export async function validateProviderMetadata(doc: unknown): Promise<ValidationResult> {
  return bySchema((await validators()).provider, doc);
}

export async function validateCveRecord(doc: unknown): Promise<ValidationResult> {
  return bySchema((await validators()).cve, doc);
}

export async function validateOsv(doc: unknown): Promise<ValidationResult> {
  return bySchema((await validators()).osv, doc);
}

/** One line naming what is wrong, for a problem detail or a release step's error. */
export function describeProblems(what: string, r: ValidationResult): string {
  const first = r.problems.slice(0, 5).map((p) => `${p.test} at ${p.path}: ${p.message}`);
  const more = r.problems.length > 5 ? ` (and ${r.problems.length - 5} more)` : '';
  return `${what} is invalid: ${first.join('; ')}${more}`;
}
