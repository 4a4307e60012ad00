// ajv-formats-draft2019 ships no types: the one call Village makes (see cyclonedx-schema.ts).
declare module 'ajv-formats-draft2019' {
  import type { Ajv } from 'ajv';

  const addFormats: (ajv: Ajv, options?: { formats?: string[] }) => Ajv;
  export default addFormats;
}
