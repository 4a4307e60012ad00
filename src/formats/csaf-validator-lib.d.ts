// Types for the parts of @secvisogram/csaf-validator-lib (MIT; JavaScript without declarations) Village uses.
declare module '@secvisogram/csaf-validator-lib/mandatoryTests.js' {
  type Result = { isValid?: boolean; errors?: Array<{ message: string; instancePath: string }> };
  const tests: Record<string, (doc: unknown) => Result | Promise<Result>>;
  export = tests;
}
declare module '@secvisogram/csaf-validator-lib/lib/shared/cwec.js' {
  const catalogue: { weaknesses: ReadonlyArray<{ id: string; name: string }> };
  export default catalogue;
}
// FIRST's CVSS JSON schemas (BSD-3-Clause, FIRST.ORG), which the CSAF 2.0 schema references.
declare module '@secvisogram/csaf-validator-lib/schemas/cvss-v2.0.js' {
  const schema: Record<string, unknown>;
  export default schema;
}
declare module '@secvisogram/csaf-validator-lib/schemas/cvss-v3.0.js' {
  const schema: Record<string, unknown>;
  export default schema;
}
declare module '@secvisogram/csaf-validator-lib/schemas/cvss-v3.1.js' {
  const schema: Record<string, unknown>;
  export default schema;
}
