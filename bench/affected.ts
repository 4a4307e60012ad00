// Who is affected: p50/p99 latency of the query over many advisories, with and without a
// dependency path, against a naive scan of the same data (ratio and exactness), plus ingest per
// 1,000-component SBOM. See bench/sbom-lib.ts.
//
//   node --import tsx bench/affected.ts [--tier small|medium] [--engine pglite|postgres]
//        [--advisories N] [--naive N] [--ingests N] [--keep NAME]
//   --keep NAME (with --engine postgres): keep the portfolio in database village_bench_keep_NAME and
//   reuse it when it holds the same tier and generator version (see bench/sbom-lib.ts).
import { runSbomBench } from './sbom-lib.ts';

await runSbomBench('affected');
