import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cycloneDxJsonToXml } from '../../test/support/cyclonedx-xml.ts';
import { stopXsdThread } from './cyclonedx-xsd-thread.ts';
import { type ParsedSbom, parseSbomFile, parseSbomText, SbomError } from './sbom.ts';

const DIR = join(import.meta.dirname, '../../../shared/data/sbom/cyclonedx');
const samples = readdirSync(DIR).filter((f) => f.endsWith('.json'));

afterAll(() => stopXsdThread());

async function fails(doc: string | object, code: string, message?: RegExp): Promise<void> {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const err = await parseSbomText(text).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(SbomError);
  expect((err as SbomError).code, (err as Error).message).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
}

const cdx = (over: object = {}) => ({
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  version: 1,
  metadata: { component: { type: 'application', name: 'app', version: '1.0', 'bom-ref': 'app' } },
  components: [
    { type: 'library', name: 'a', version: '1.0.0', purl: 'pkg:npm/a@1.0.0', 'bom-ref': 'a' },
    { type: 'library', name: 'b', version: '2.0.0', purl: 'pkg:npm/b@2.0.0', 'bom-ref': 'b' },
    { type: 'library', name: 'c', version: '3.0.0', purl: 'pkg:npm/c@3.0.0', 'bom-ref': 'c' },
  ],
  dependencies: [
    { ref: 'app', dependsOn: ['a'] },
    { ref: 'a', dependsOn: ['b'] },
    { ref: 'b', dependsOn: ['c'] },
  ],
  ...over,
});

/** A CycloneDX JSON document written as CycloneDX XML (components flat, dependencies nested). */
function toXml(doc: ParsedInput): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const comp = (c: Record<string, unknown>): string =>
    `<component type="${c.type ?? 'library'}"${c['bom-ref'] ? ` bom-ref="${esc(String(c['bom-ref']))}"` : ''}>` +
    ['group', 'name', 'version', 'purl'].map((k) => (c[k] ? `<${k}>${esc(String(c[k]))}</${k}>` : '')).join('') +
    (Array.isArray(c.components) ? `<components>${c.components.map(comp).join('')}</components>` : '') +
    '</component>';
  const deps = (doc.dependencies ?? [])
    .map(
      (d) =>
        `<dependency ref="${esc(d.ref)}">${(d.dependsOn ?? []).map((x) => `<dependency ref="${esc(x)}"/>`).join('')}</dependency>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/${doc.specVersion}" version="1">
<metadata>${doc.metadata?.component ? comp(doc.metadata.component) : ''}</metadata>
<components>${(doc.components ?? []).map(comp).join('')}</components>
<dependencies>${deps}</dependencies></bom>`;
}
interface ParsedInput {
  specVersion: string;
  metadata?: { component?: Record<string, unknown> };
  components?: Array<Record<string, unknown>>;
  dependencies?: Array<{ ref: string; dependsOn?: string[] }>;
}

const summary = (p: ParsedSbom) => ({
  n: p.components.length,
  edges: p.edgeCount,
  direct: p.depth.filter((d) => d === 1).length,
  maxDepth: Math.max(0, ...p.depth),
});

describe('the shared CycloneDX samples', () => {
  it.each(samples)('%s parses into purls and a dependency graph', async (f) => {
    const p = await parseSbomFile(join(DIR, f));
    const raw = JSON.parse(readFileSync(join(DIR, f), 'utf8'));
    expect(p.format).toBe('cyclonedx-json');
    expect(p.specVersion).toBe(raw.specVersion);
    expect(p.components.length).toBeGreaterThan(40);
    for (const c of p.components) {
      expect(c.purl.startsWith('pkg:')).toBe(true);
      expect(c.pkg).not.toContain('@');
    }
    // Every component has a depth and a parent chain that ends at the product.
    for (let i = 0; i < p.components.length; i++) {
      let d = 1;
      for (let j = i; (p.parent[j] as number) !== -1; j = p.parent[j] as number) d++;
      expect(d).toBe(p.depth[i]);
    }
    // ... and the same document as XML gives the same result.
    const x = await parseSbomText(toXml(raw));
    expect(x.format).toBe('cyclonedx-xml');
    expect(summary(x)).toEqual(summary(p));
    expect(x.components.map((c) => c.purl)).toEqual(p.components.map((c) => c.purl));
  });

  it.each(samples)('%s written as full CycloneDX XML passes the XSD and parses exactly as the JSON', async (f) => {
    const json = await parseSbomFile(join(DIR, f));
    const xml = await parseSbomText(cycloneDxJsonToXml(JSON.parse(readFileSync(join(DIR, f), 'utf8'))));
    expect({ ...xml, format: json.format }).toEqual(json);
  });

  it('juice-shop: direct and transitive, and its npm cycle is a warning naming it', async () => {
    const p = await parseSbomFile(join(DIR, 'juice-shop-11.1.2.cdx.json'));
    expect(summary(p)).toEqual({ n: 1115, edges: 1775, direct: 71, maxDepth: 11 });
    expect(p.warnings.join()).toMatch(/cycle: resolve-dir@1\.0\.1 → global-modules@1\.0\.0 → resolve-dir@1\.0\.1/);
  });

  it('a flat list without dependencies: every component is direct', async () => {
    const p = await parseSbomFile(join(DIR, 'protonmail-webclient-v4.cdx.json'));
    expect(summary(p)).toMatchObject({ n: 883, edges: 0, direct: 883, maxDepth: 1 });
  });
});

describe('CycloneDX 1.2 to 1.6', () => {
  it.each(['1.2', '1.3', '1.4', '1.5', '1.6'])('%s, JSON and XML', async (v) => {
    for (const text of [JSON.stringify(cdx({ specVersion: v })), toXml(cdx({ specVersion: v }) as ParsedInput)]) {
      const p = await parseSbomText(text);
      expect(p.specVersion).toBe(v);
      expect(p.components.map((c) => [c.pkg, c.version, p.depth[p.components.indexOf(c)]])).toEqual([
        ['pkg:npm/a', '1.0.0', 1],
        ['pkg:npm/b', '2.0.0', 2],
        ['pkg:npm/c', '3.0.0', 3],
      ]);
      expect([...p.parent]).toEqual([-1, 0, 1]);
      expect(p.root).toEqual({ name: 'app', version: '1.0', purl: null });
    }
  });
  it('nested components ship inside their parent', async () => {
    const doc = cdx({
      components: [
        {
          type: 'library',
          name: 'outer',
          purl: 'pkg:maven/org.x/outer@1',
          'bom-ref': 'outer',
          components: [{ type: 'library', name: 'inner', purl: 'pkg:maven/org.x/inner@2', 'bom-ref': 'inner' }],
        },
      ],
      dependencies: [],
    });
    const p = await parseSbomText(JSON.stringify(doc));
    expect(p.components.map((c) => c.purl)).toEqual(['pkg:maven/org.x/outer@1', 'pkg:maven/org.x/inner@2']);
    expect([...p.depth]).toEqual([1, 2]);
  });
  it('a component without a purl is identified by name, with a warning', async () => {
    const p = await parseSbomText(
      JSON.stringify(cdx({ components: [{ type: 'library', name: 'zlib', version: '1.2.11' }], dependencies: [] })),
    );
    expect(p.components[0]?.purl).toBe('pkg:generic/zlib@1.2.11');
    expect(p.warnings.join()).toMatch(/without a purl/);
  });
});

describe('SPDX 2.3 JSON', () => {
  const spdx = (over: object = {}) => ({
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: 'app',
    documentNamespace: 'https://example.com/app',
    creationInfo: { created: '2024-01-01T00:00:00Z', creators: ['Tool: test'] },
    documentDescribes: ['SPDXRef-app'],
    packages: [
      { SPDXID: 'SPDXRef-app', name: 'app', versionInfo: '1.0', downloadLocation: 'NOASSERTION' },
      {
        SPDXID: 'SPDXRef-openssl',
        name: 'openssl',
        versionInfo: '1.0.1f',
        downloadLocation: 'NOASSERTION',
        externalRefs: [
          { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:generic/openssl@1.0.1f' },
        ],
      },
      {
        SPDXID: 'SPDXRef-curl',
        name: 'curl',
        versionInfo: '7.35.0',
        downloadLocation: 'NOASSERTION',
        externalRefs: [
          { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:deb/debian/curl@7.35.0' },
        ],
      },
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-app', relationshipType: 'DEPENDS_ON', relatedSpdxElement: 'SPDXRef-curl' },
      { spdxElementId: 'SPDXRef-openssl', relationshipType: 'DEPENDENCY_OF', relatedSpdxElement: 'SPDXRef-curl' },
    ],
    ...over,
  });
  it('reads packages, purls and relationships', async () => {
    const p = await parseSbomText(JSON.stringify(spdx()));
    expect(p.format).toBe('spdx-json');
    expect(p.root?.name).toBe('app');
    expect(p.components.map((c) => [c.purl, p.depth[p.components.indexOf(c)]])).toEqual([
      ['pkg:generic/openssl@1.0.1f', 2],
      ['pkg:deb/debian/curl@7.35.0', 1],
    ]);
  });
  it('refuses SPDX 2.2 and a package without SPDXID', async () => {
    await fails(spdx({ spdxVersion: 'SPDX-2.2' }), 'unsupported-version', /SPDX-2\.2/);
    await fails(spdx({ packages: [{ name: 'x' }] }), 'missing-identifier', /packages\[0\] has no SPDXID/);
  });
});

describe('bad SBOMs name what is wrong', () => {
  it('malformed JSON and XML', async () => {
    await fails('{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [', 'malformed');
    await fails('<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>', 'malformed');
    await fails('', 'malformed', /empty/);
    await fails('hello', 'unknown-format');
    await fails('{"name": "not an sbom"}', 'unknown-format');
    await fails('[1,2]', 'unknown-format');
  });
  it('wrong spec versions', async () => {
    await fails(cdx({ specVersion: '1.1' }), 'unsupported-version', /1\.1.*1\.2 to 1\.6/);
    await fails(cdx({ specVersion: '2.0' }), 'unsupported-version');
    await fails('<bom xmlns="http://cyclonedx.org/schema/bom/1.1"/>', 'unsupported-version');
  });
  it('missing identifiers, bad purls, unknown and duplicate references', async () => {
    await fails(
      cdx({ components: [{ type: 'library', version: '1' }], dependencies: [] }),
      'missing-identifier',
      /components\[0\]/,
    );
    await fails(
      cdx({ components: [{ type: 'library', name: 'x', purl: 'npm/x' }], dependencies: [] }),
      'invalid-purl',
      /components\[0\] \("x"\)/,
    );
    await fails(cdx({ dependencies: [{ ref: 'a', dependsOn: ['nowhere'] }] }), 'unknown-reference', /"nowhere"/);
    const dup = cdx();
    (dup.components[1] as { 'bom-ref': string })['bom-ref'] = 'a';
    await fails(dup, 'duplicate-reference', /"a"/);
  });
  it('a cycle through the product is an error naming it; others are warnings', async () => {
    await fails(
      cdx({
        dependencies: [
          { ref: 'app', dependsOn: ['a'] },
          { ref: 'a', dependsOn: ['app'] },
        ],
      }),
      'cycle',
      /"a" depends on the product/,
    );
    const p = await parseSbomText(
      JSON.stringify(
        cdx({
          dependencies: [
            { ref: 'app', dependsOn: ['a'] },
            { ref: 'a', dependsOn: ['b'] },
            { ref: 'b', dependsOn: ['a'] },
          ],
        }),
      ),
    );
    expect(p.warnings).toEqual(['dependency cycle: a → b → a']);
  });
  it('documents that break the CycloneDX schema (checked by the CycloneDX library)', async () => {
    await fails(
      cdx({ components: [{ type: 'not-a-type', name: 'x', purl: 'pkg:npm/x@1' }], dependencies: [] }),
      'schema',
      /schema/,
    );
  });
  it('XML that breaks the CycloneDX XSD (checked by libxml2): the first errors, each with its line', async () => {
    const doc = toXml(cdx({ specVersion: '1.6' }) as ParsedInput)
      .replace('<name>a</name>', '<name>a</name><bogus/>')
      .replace('<component type="library" bom-ref="c">', '<component bom-ref="c">');
    const err = await parseSbomText(`\n\n${doc}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SbomError);
    expect((err as SbomError).code).toBe('schema');
    // Two blank lines, the declaration, <bom>, <metadata>: the components are on line 6.
    expect((err as Error).message).toBe(
      "the document does not follow the CycloneDX 1.6 XML schema: line 6: Element 'bogus': This element is not expected. " +
        'Expected is one of ( version, description, scope, hashes, licenses, copyright, cpe, purl, omniborId, swhid ). (2 errors in all)',
    );
    expect((err as SbomError).issues).toEqual({
      errors: [
        { field: 'line 6', message: expect.stringMatching(/^Element 'bogus'/) },
        { field: 'line 6', message: "Element 'component': The attribute 'type' is required but missing." },
      ],
      errorCount: 2,
    });
  });
  it('XML is validated up to the schema bound only', async () => {
    const doc = toXml(cdx({ specVersion: '1.6' }) as ParsedInput).replace('<name>a</name>', '<name>a</name><bogus/>');
    await fails(doc, 'schema');
    expect((await parseSbomText(doc, { schemaValidateBytes: doc.length - 1 })).components).toHaveLength(3);
    expect((await parseSbomText(doc, { schemaValidateBytes: 0 })).components).toHaveLength(3);
  });
  it('XML entities and DTDs are never resolved', async () => {
    const doc = toXml(cdx({ specVersion: '1.6' }) as ParsedInput);
    const secret = `file://${join(DIR, 'LICENSE-bom-examples')}`;
    const withDoctype = (dtd: string, name = 'a') =>
      doc.replace('<bom ', `${dtd}\n<bom `).replace('<name>a</name>', `<name>${name}</name>`);
    await fails(withDoctype(`<!DOCTYPE bom [<!ENTITY x SYSTEM "${secret}">]>`, '&x;'), 'malformed', /entity/);
    await fails(withDoctype('<!DOCTYPE bom [<!ENTITY x "internal">]>', '&x;'), 'malformed', /entity/);
    let lol = '<!ENTITY l0 "lol">';
    for (let i = 1; i <= 9; i++) lol += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
    await fails(withDoctype(`<!DOCTYPE bom [${lol}]>`, '&l9;'), 'malformed', /entity/);
    // An external DTD is neither fetched nor needed (cyclonedx-xsd.test.ts checks libxml2 asks for nothing).
    expect((await parseSbomText(withDoctype('<!DOCTYPE bom SYSTEM "http://127.0.0.1:9/bom.dtd">'))).components).toHaveLength(3);
  });
  it('too many components', async () => {
    const err = await parseSbomText(JSON.stringify(cdx()), { maxComponents: 2 }).catch((e: unknown) => e);
    expect((err as SbomError).code).toBe('too-large');
  });
});

describe('JSON read whole or streamed', () => {
  it('gives the same result either way, for every sample', async () => {
    for (const f of samples) {
      const text = readFileSync(join(DIR, f), 'utf8');
      const whole = await parseSbomText(text, { schemaValidateBytes: 0 });
      const streamed = await parseSbomText(text, { schemaValidateBytes: 0, inMemoryBytes: 0 });
      expect(whole, f).toEqual(streamed);
    }
  });

  it('a document past the in-memory size is streamed from there on, in small chunks too', async () => {
    const text = readFileSync(join(DIR, samples[0] as string), 'utf8');
    const chunks = (async function* () {
      for (let i = 0; i < text.length; i += 1000) yield Buffer.from(text.slice(i, i + 1000));
    })();
    const { parseSbom } = await import('./sbom.ts');
    expect(await parseSbom(chunks, { schemaValidateBytes: 0, inMemoryBytes: 5000 })).toEqual(
      await parseSbomText(text, { schemaValidateBytes: 0 }),
    );
  });

  it('malformed JSON read whole is a malformed error too', async () => {
    await fails('{"bomFormat": "CycloneDX", "specVersion": "1.5", ', 'malformed', /JSON is malformed/);
  });
});
