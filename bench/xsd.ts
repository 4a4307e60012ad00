// CycloneDX XML schema validation (libxml2 in WebAssembly, on its worker thread): the cost the XSD
// check adds to parsing an XML SBOM, for a 1,000-component SBOM, the largest shared sample written
// as XML, and a document at the default bound (16 MiB), each after a warm-up; the process's memory
// at that bound and after the validation thread stops; and a 300,000-component XML SBOM past the bound (parsed, not
// validated) to show memory stays bounded. No database.
//
//   node --import tsx bench/xsd.ts [--runs N] [--big N]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { stopXsdThread, validateCycloneDxXmlOffThread } from '../src/formats/cyclonedx-xsd-thread.ts';
import { parseSbomText } from '../src/formats/sbom.ts';
import { cycloneDxJsonToXml } from '../test/support/cyclonedx-xml.ts';
import { emit, fmt, intOption, machine, now, out, ROOT, round } from './lib.ts';

const SAMPLES = path.join(ROOT, '..', 'shared', 'data', 'sbom', 'cyclonedx');
const BOUND = 16 * 1024 * 1024;
const MiB = 1024 * 1024;

/** A CycloneDX 1.6 document of n components shaped like the shared samples' (hash, licence, reference). */
function document(n: number): Record<string, unknown> {
  const components = Array.from({ length: n }, (_, i) => ({
    type: 'library',
    'bom-ref': `pkg:maven/org.example.g${i % 97}/lib${i}@1.${i % 50}.${i % 7}`,
    group: `org.example.g${i % 97}`,
    name: `lib${i}`,
    version: `1.${i % 50}.${i % 7}`,
    description: `Library number ${i}, a dependency of the benchmark product`,
    hashes: [{ alg: 'SHA-256', content: (i * 2654435761).toString(16).padStart(8, '0').repeat(8).slice(0, 64) }],
    licenses: [{ license: { id: i % 3 ? 'MIT' : 'Apache-2.0' } }],
    purl: `pkg:maven/org.example.g${i % 97}/lib${i}@1.${i % 50}.${i % 7}`,
    externalReferences: [{ type: 'website', url: `https://example.org/lib${i}` }],
  }));
  const ref = (i: number) => components[i]?.['bom-ref'] as string;
  const dependencies = [
    { ref: 'root', dependsOn: components.slice(0, Math.min(n, 40)).map((c) => c['bom-ref']) },
    ...components.map((c, i) => ({
      ref: c['bom-ref'],
      dependsOn: i >= 40 ? [] : [40 + i, 80 + i].filter((j) => j < n).map(ref),
    })),
  ];
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      timestamp: '2026-01-01T00:00:00Z',
      component: { type: 'application', 'bom-ref': 'root', name: 'product', version: '1.0' },
    },
    components,
    dependencies,
  };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

/** Mean ms of parsing `text` with and without schema validation, after one warm-up each. */
async function parseCost(text: string, runs: number): Promise<{ plain: number; validated: number; xsd: number }> {
  const plain: number[] = [];
  const validated: number[] = [];
  const xsd: number[] = [];
  const version = /bom\/(1\.\d)"/.exec(text.slice(0, 400))?.[1] ?? '1.6';
  for (let i = 0; i <= runs; i++) {
    let t = now();
    await parseSbomText(text, { schemaValidateBytes: 0 });
    const a = now() - t;
    t = now();
    await parseSbomText(text);
    const b = now() - t;
    t = now();
    await validateCycloneDxXmlOffThread(version, new TextEncoder().encode(text));
    const c = now() - t;
    if (i === 0) continue;
    plain.push(a);
    validated.push(b);
    xsd.push(c);
  }
  return { plain: mean(plain), validated: mean(validated), xsd: mean(xsd) };
}

/** Peak RSS while `f` runs (sampled every 10 ms). */
async function peakRss<T>(f: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const value = await f();
    return { value, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const runs = intOption('runs', 10);
  const bigN = intOption('big', 300_000);
  const m = machine();
  out(
    `== CycloneDX XML schema validation (libxml2-wasm on its worker thread); ${m.cpus} × ${m.cpu}, load ${m.loadavg.join(' ')}`,
  );

  const one = cycloneDxJsonToXml(document(1000));
  const t = now();
  await validateCycloneDxXmlOffThread('1.6', new TextEncoder().encode(one));
  const coldMs = now() - t;
  out(`  first validation (thread start, libxml2 load, 1.6 XSD compile, 1,000 components): ${fmt(coldMs)} ms`);
  const c1000 = await parseCost(one, runs);
  out(
    `  1,000 components (${fmt(one.length / 1024)} KiB of XML): parse ${fmt(c1000.plain, 1)} ms, ` +
      `with XSD validation ${fmt(c1000.validated, 1)} ms (validation alone ${fmt(c1000.xsd, 1)} ms)`,
  );
  const largest = readdirSync(SAMPLES)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => statSync(path.join(SAMPLES, b)).size - statSync(path.join(SAMPLES, a)).size)[0] as string;
  const sampleXml = cycloneDxJsonToXml(JSON.parse(readFileSync(path.join(SAMPLES, largest), 'utf8')));
  const parsed = await parseSbomText(sampleXml, { schemaValidateBytes: 0 });
  const cSample = await parseCost(sampleXml, runs);
  out(
    `  largest shared sample, ${largest} as XML (${fmt(sampleXml.length / 1024)} KiB, ${parsed.components.length} components, ` +
      `CycloneDX ${parsed.specVersion}): parse ${fmt(cSample.plain, 1)} ms, with XSD validation ${fmt(cSample.validated, 1)} ms ` +
      `(validation alone ${fmt(cSample.xsd, 1)} ms)`,
  );

  // At the bound: as many components as fit in 16 MiB.
  const perComponent = one.length / 1000;
  let n = Math.floor((BOUND / perComponent) * 0.98);
  let atBound = cycloneDxJsonToXml(document(n));
  while (Buffer.byteLength(atBound) > BOUND) {
    n = Math.floor(n * 0.98);
    atBound = cycloneDxJsonToXml(document(n));
  }
  await parseSbomText(atBound); // warm-up
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const bound = await peakRss(async () => {
    const t0 = now();
    await parseSbomText(atBound);
    return now() - t0;
  });
  const t1 = now();
  await parseSbomText(atBound, { schemaValidateBytes: 0 });
  const boundPlain = now() - t1;
  const rssWithThread = process.memoryUsage().rss;
  await stopXsdThread();
  global.gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const rssAfter = process.memoryUsage().rss;
  out(
    `  at the bound: ${fmt(n)} components, ${fmt(Buffer.byteLength(atBound) / MiB, 1)} MiB of XML: parse ${fmt(boundPlain)} ms, ` +
      `with XSD validation ${fmt(bound.value)} ms`,
  );
  out(
    `    process RSS ${fmt(rssBefore / MiB)} MiB before (thread warm), peak ${fmt(bound.peak / MiB)} MiB, ` +
      `${fmt(rssWithThread / MiB)} MiB with the idle thread, ${fmt(rssAfter / MiB)} MiB once it stopped`,
  );

  // Past the bound: parsed as a stream, not validated.
  atBound = '';
  let big = cycloneDxJsonToXml(document(bigN));
  const bigBytes = Buffer.byteLength(big);
  const bigChunks = Array.from({ length: Math.ceil(big.length / 262144) }, (_, i) =>
    Buffer.from(big.slice(i * 262144, (i + 1) * 262144)),
  );
  big = '';
  global.gc?.();
  const rssBig0 = process.memoryUsage().rss;
  const { parseSbom } = await import('../src/formats/sbom.ts');
  const bigRun = await peakRss(async () => {
    const t0 = now();
    const p = await parseSbom(
      (async function* () {
        yield* bigChunks;
      })(),
    );
    return { ms: now() - t0, components: p.components.length };
  });
  out(
    `  past the bound: ${fmt(bigRun.value.components)} components, ${fmt(bigBytes / MiB)} MiB of XML held in memory as chunks ` +
      `(${fmt(rssBig0 / MiB)} MiB RSS before): parsed in ${fmt(bigRun.value.ms)} ms without validation, peak RSS ${fmt(bigRun.peak / MiB)} MiB`,
  );

  emit({
    bench: 'xsd',
    machine: m,
    cold_first_validation_ms: round(coldMs, 0),
    c1000_xml_kib: round(one.length / 1024, 0),
    c1000_parse_ms: round(c1000.plain, 1),
    c1000_parse_with_xsd_ms: round(c1000.validated, 1),
    c1000_xsd_ms: round(c1000.xsd, 1),
    largest_sample: largest,
    largest_sample_components: parsed.components.length,
    largest_sample_xml_kib: round(sampleXml.length / 1024, 0),
    largest_sample_parse_ms: round(cSample.plain, 1),
    largest_sample_parse_with_xsd_ms: round(cSample.validated, 1),
    largest_sample_xsd_ms: round(cSample.xsd, 1),
    bound_components: n,
    bound_parse_ms: round(boundPlain, 0),
    bound_parse_with_xsd_ms: round(bound.value, 0),
    bound_rss_before_mib: round(rssBefore / MiB, 0),
    bound_rss_peak_mib: round(bound.peak / MiB, 0),
    bound_rss_idle_thread_mib: round(rssWithThread / MiB, 0),
    bound_rss_after_stop_mib: round(rssAfter / MiB, 0),
    big_components: bigRun.value.components,
    big_xml_mib: round(bigBytes / MiB, 0),
    big_parse_ms: round(bigRun.value.ms, 0),
    big_rss_before_mib: round(rssBig0 / MiB, 0),
    big_rss_peak_mib: round(bigRun.peak / MiB, 0),
  });
  await stopXsdThread();
}

await main();
