// Validation of the documents a release publishes: each against its official JSON schema
// (vendored in ./schemas, see its README), and CSAF also against the mandatory tests (CSAF 2.0
// §6.1) of @secvisogram/csaf-validator-lib. A failure names the test or schema path at fault.
import cvssV20 from '@secvisogram/csaf-validator-lib/schemas/cvss-v2.0.js';
import cvssV30 from '@secvisogram/csaf-validator-lib/schemas/cvss-v3.0.js';
import cvssV31 from '@secvisogram/csaf-validator-lib/schemas/cvss-v3.1.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import csafSchema from './schemas/csaf/csaf_json_schema.json' with { type: 'json' };
import providerSchema from './schemas/csaf/provider_json_schema.json' with { type: 'json' };
import cveSchema from './schemas/cve/CVE_JSON_5.1_bundled.json' with { type: 'json' };
import osvSchema from './schemas/osv/schema.json' with { type: 'json' };

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

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

type Compiled = { csaf: ValidateFunction; provider: ValidateFunction; cve: ValidateFunction; osv: ValidateFunction };
let compiled: Compiled | null = null;

/**
 * The schema compilations, one step each: warmDocumentValidation runs them with a turn of the
 * event loop between, so a server answering requests is never held up by all of them at once.
 */
function compileSteps(): Array<() => void> {
  const a2020 = new Ajv2020({ allErrors: true, strict: false });
  addFormats(a2020);
  const a7 = new Ajv({ allErrors: true, strict: false });
  addFormats(a7);
  const out: Partial<Compiled> = {};
  return [
    () => {
      // The FIRST CVSS schemas the CSAF schema references (shipped with csaf-validator-lib).
      a2020.addSchema(cvssV20, 'https://www.first.org/cvss/cvss-v2.0.json');
      a2020.addSchema(cvssV30, 'https://www.first.org/cvss/cvss-v3.0.json');
      a2020.addSchema(cvssV31, 'https://www.first.org/cvss/cvss-v3.1.json');
      a2020.addSchema(csafSchema);
      out.csaf = a2020.getSchema(csafSchema.$id) as ValidateFunction;
    },
    () => {
      out.provider = a2020.compile(providerSchema);
    },
    () => {
      out.osv = a2020.compile(osvSchema);
    },
    () => {
      out.cve = a7.compile(cveSchema);
    },
    () => {
      compiled ??= out as Compiled;
    },
  ];
}

function validators(): Compiled {
  if (!compiled) for (const step of compileSteps()) step();
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
    for (const step of compileSteps()) {
      await new Promise((resolve) => setImmediate(resolve));
      step();
    }
  }
  await mandatoryTests();
}

/** CSAF 2.0: the OASIS schema, then every mandatory test. */
export async function validateCsaf(doc: unknown): Promise<ValidationResult> {
  const schema = bySchema(validators().csaf, doc);
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

export function validateProviderMetadata(doc: unknown): ValidationResult {
  return bySchema(validators().provider, doc);
}

export function validateCveRecord(doc: unknown): ValidationResult {
  return bySchema(validators().cve, doc);
}

export function validateOsv(doc: unknown): ValidationResult {
  return bySchema(validators().osv, doc);
}

/** One line naming what is wrong, for a problem detail or a release step's error. */
export function describeProblems(what: string, r: ValidationResult): string {
  const first = r.problems.slice(0, 5).map((p) => `${p.test} at ${p.path}: ${p.message}`);
  const more = r.problems.length > 5 ? ` (and ${r.problems.length - 5} more)` : '';
  return `${what} is invalid: ${first.join('; ')}${more}`;
}
