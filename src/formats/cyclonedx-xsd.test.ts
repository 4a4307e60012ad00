import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cycloneDxJsonToXml } from '../../test/support/cyclonedx-xml.ts';
import { inputsRequested, validateCycloneDxXml, XSD_VERSIONS, xsdMessage } from './cyclonedx-xsd.ts';
import { stopXsdThread, validateCycloneDxXmlOffThread } from './cyclonedx-xsd-thread.ts';

const DIR = join(import.meta.dirname, '../../../shared/data/sbom/cyclonedx');
const samples = readdirSync(DIR).filter((f) => f.endsWith('.json'));

const bom = (version: string, components: string, head = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n${head}<bom xmlns="http://cyclonedx.org/schema/bom/${version}" version="1">\n` +
  `<components>\n${components}\n</components>\n</bom>\n`;
const lib = (name: string, inner = '') =>
  `<component type="library" bom-ref="${name}"><name>${name}</name><version>1.0.0</version>${inner}<purl>pkg:npm/${name}@1.0.0</purl></component>`;
const check = (version: string, xml: string) => validateCycloneDxXml(version, Buffer.from(xml));

afterAll(() => stopXsdThread());

describe('CycloneDX XML against the official XSDs (libxml2)', () => {
  it.each(samples)('the shared sample %s, written as XML, is valid', async (f) => {
    const doc = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { specVersion: string };
    expect(await check(doc.specVersion, cycloneDxJsonToXml(doc))).toEqual({ valid: true });
  });

  it.each(XSD_VERSIONS)('a small %s document is valid', async (v) => {
    expect(await check(v, bom(v, `${lib('a')}\n${lib('b')}`))).toEqual({ valid: true });
  });

  const invalid: Array<[string, string, string, RegExp]> = [
    ['an unknown element', '1.6', bom('1.6', lib('a', '<bogus/>')), /^Element 'bogus': This element is not expected\./],
    [
      'a value of the wrong type',
      '1.6',
      bom('1.6', lib('a', '<scope>sometimes</scope>')),
      /^Element 'scope': \[facet 'enumeration'\] The value 'sometimes' is not an element of the set/,
    ],
    [
      'a missing required attribute',
      '1.6',
      bom('1.6', '<component bom-ref="a"><name>a</name></component>'),
      /^Element 'component': The attribute 'type' is required but missing\./,
    ],
    [
      'an element in another namespace',
      '1.6',
      bom('1.6', '<component xmlns="http://cyclonedx.org/schema/bom/1.5" type="library"><name>a</name></component>'),
      /^Element '\{http:\/\/cyclonedx\.org\/schema\/bom\/1\.5\}component': This element is not expected/,
    ],
    [
      'a root element of another version',
      '1.6',
      bom('1.5', lib('a')),
      /^Element '\{http:\/\/cyclonedx\.org\/schema\/bom\/1\.5\}bom': No matching global declaration/,
    ],
    [
      'an attribute of the wrong type',
      '1.4',
      bom('1.4', lib('a')).replace('version="1"', 'version="one"'),
      /^Element 'bom', attribute 'version': 'one' is not a valid value/,
    ],
  ];
  it.each(invalid)('%s is an error naming the element and the line', async (_what, version, xml, message) => {
    const r = await check(version, xml);
    expect(r.valid).toBe(false);
    if (r.valid) return;
    expect(r.kind).toBe('schema');
    expect(r.issues[0]?.message).toMatch(message);
    expect(r.issues[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it('lists a bounded number of errors and counts them all; lines count from the caller’s offset', async () => {
    const comps = Array.from({ length: 50 }, (_, i) => `<component bom-ref="c${i}"><name>c${i}</name></component>`).join('\n');
    const r = await validateCycloneDxXml('1.6', Buffer.from(bom('1.6', comps)), { maxIssues: 10, lineOffset: 3 });
    expect(r).toMatchObject({ valid: false, kind: 'schema', total: 50 });
    if (r.valid) return;
    expect(r.issues).toHaveLength(10);
    // The first component is on line 4 of the document (XML declaration, bom, components).
    expect(r.issues.map((i) => i.line)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('a document libxml2 cannot parse is malformed', async () => {
    const r = await check('1.6', '<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>');
    expect(r).toMatchObject({ valid: false, kind: 'malformed' });
  });

  it('shortens only the version’s own namespace', () => {
    expect(xsdMessage("Element '{http://cyclonedx.org/schema/bom/1.6}x': bad.\n", '1.6')).toBe("Element 'x': bad.");
    expect(xsdMessage("Element '{http://cyclonedx.org/schema/bom/1.5}x'", '1.6')).toBe(
      "Element '{http://cyclonedx.org/schema/bom/1.5}x'",
    );
  });
});

describe('XXE: nothing outside the document is read, no entity is expanded', () => {
  const SECRET = `file://${join(DIR, 'LICENSE-bom-examples')}`;
  const attempts: Array<[string, string]> = [
    [
      'an external entity (file)',
      bom('1.6', lib('a'), `<!DOCTYPE bom [<!ENTITY x SYSTEM "${SECRET}">]>\n`).replace('<name>a</name>', '<name>&x;</name>'),
    ],
    [
      'an external entity (http)',
      bom('1.6', lib('a'), '<!DOCTYPE bom [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>\n').replace(
        '<name>a</name>',
        '<name>&x;</name>',
      ),
    ],
    ['an external parameter entity', bom('1.6', lib('a'), `<!DOCTYPE bom [<!ENTITY % p SYSTEM "${SECRET}"> %p;]>\n`)],
    ['an external DTD', bom('1.6', lib('a'), '<!DOCTYPE bom SYSTEM "http://127.0.0.1:9/bom.dtd">\n')],
    [
      'an XInclude',
      bom('1.6', lib('a', `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="${SECRET}" parse="text"/>`)),
    ],
  ];
  it.each(attempts)('%s is not resolved', async (_what, xml) => {
    const r = await check('1.6', xml);
    // Whatever libxml2 says of the document, the secret never enters it and nothing was opened.
    expect(JSON.stringify(r)).not.toMatch(/Creative Commons/);
    expect(inputsRequested().every((n) => n === '/cyclonedx-schema/spdx.SNAPSHOT.xsd')).toBe(true);
  });

  it('billion laughs stops at libxml2’s amplification limit, quickly', async () => {
    let ents = '<!ENTITY l0 "lol">';
    for (let i = 1; i <= 9; i++) ents += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
    const xml = bom('1.6', lib('a'), `<!DOCTYPE bom [${ents}]>\n`).replace('<name>a</name>', '<name>&l9;</name>');
    const t = performance.now();
    const r = await check('1.6', xml);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(r.valid).toBe(false);
    expect(JSON.stringify(r)).toMatch(/amplification/);
  });
});

describe('on the validation thread', () => {
  it('gives the same answers, and starts again after it was stopped', async () => {
    const good = bom('1.5', lib('a'));
    const bad = bom('1.6', lib('a', '<bogus/>'));
    expect(await validateCycloneDxXmlOffThread('1.5', Buffer.from(good))).toEqual(await check('1.5', good));
    expect(await validateCycloneDxXmlOffThread('1.6', Buffer.from(bad))).toEqual(await check('1.6', bad));
    await stopXsdThread();
    const results = await Promise.all([
      validateCycloneDxXmlOffThread('1.5', new TextEncoder().encode(good)),
      validateCycloneDxXmlOffThread('1.6', new TextEncoder().encode(bad)),
    ]);
    expect(results.map((r) => r.valid)).toEqual([true, false]);
  });
});
