// SBOM ingest: typical 1,000-component CycloneDX SBOMs through the real service path (streaming
// parse, then one transaction) into a portfolio of the chosen tier; the who-is-affected figures
// are measured too, on fewer advisories. See bench/sbom-lib.ts.
//
//   node --import tsx bench/ingest.ts [--tier small|medium] [--engine pglite|postgres] [--ingests N] [--keep NAME]
import { runSbomBench } from './sbom-lib.ts';

await runSbomBench('ingest');
