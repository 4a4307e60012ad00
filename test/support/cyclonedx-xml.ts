// CycloneDX JSON written as CycloneDX XML, for tests and benchmarks: the shared samples are JSON
// only. Covers the fields those samples use (metadata with tools and component; components with
// author, publisher, group, name, version, description, scope, hashes, licenses, purl, external
// references, properties and nested components; dependencies), each element in the order the
// XSDs' sequences give (CycloneDX 1.2–1.6 agree on these).
type Json = Record<string, unknown>;

const esc = (s: unknown): string =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const text = (name: string, v: unknown): string => (v === undefined || v === null ? '' : `<${name}>${esc(v)}</${name}>`);
const attr = (name: string, v: unknown): string => (v === undefined || v === null ? '' : ` ${name}="${esc(v)}"`);

const hashes = (v: unknown): string => {
  const h = list(v);
  return h.length ? `<hashes>${h.map((x) => `<hash${attr('alg', x.alg)}>${esc(x.content)}</hash>`).join('')}</hashes>` : '';
};

const licenses = (v: unknown): string => {
  const l = list(v);
  if (!l.length) return '';
  const body = l
    .map((x) => {
      if (x.expression !== undefined) return text('expression', x.expression);
      const lic = (x.license ?? {}) as Json;
      return `<license>${text('id', lic.id)}${text('name', lic.name)}${text('url', lic.url)}</license>`;
    })
    .join('');
  return `<licenses>${body}</licenses>`;
};

const references = (v: unknown): string => {
  const r = list(v);
  return r.length
    ? `<externalReferences>${r.map((x) => `<reference${attr('type', x.type)}>${text('url', x.url)}${text('comment', x.comment)}</reference>`).join('')}</externalReferences>`
    : '';
};

const properties = (v: unknown): string => {
  const p = list(v);
  return p.length
    ? `<properties>${p.map((x) => `<property${attr('name', x.name)}>${esc(x.value ?? '')}</property>`).join('')}</properties>`
    : '';
};

export function componentXml(c: Json): string {
  const nested = list(c.components);
  return (
    `<component${attr('type', c.type)}${attr('bom-ref', c['bom-ref'])}>` +
    text('author', c.author) +
    text('publisher', c.publisher) +
    text('group', c.group) +
    text('name', c.name) +
    text('version', c.version) +
    text('description', c.description) +
    text('scope', c.scope) +
    hashes(c.hashes) +
    licenses(c.licenses) +
    text('purl', c.purl) +
    references(c.externalReferences) +
    properties(c.properties) +
    (nested.length ? `<components>${nested.map(componentXml).join('\n')}</components>` : '') +
    '</component>'
  );
}

const tool = (t: Json): string =>
  `<tool>${text('vendor', t.vendor)}${text('name', t.name)}${text('version', t.version)}${hashes(t.hashes)}${references(t.externalReferences)}</tool>`;

/** A CycloneDX JSON document (1.2–1.6, as parsed) as CycloneDX XML of the same version. */
export function cycloneDxJsonToXml(doc: Json): string {
  const meta = (doc.metadata ?? null) as Json | null;
  const metadata = meta
    ? '<metadata>' +
      text('timestamp', meta.timestamp) +
      (list(meta.tools).length ? `<tools>${list(meta.tools).map(tool).join('')}</tools>` : '') +
      (meta.component ? componentXml(meta.component as Json) : '') +
      '</metadata>\n'
    : '';
  const components = list(doc.components);
  const deps = list(doc.dependencies);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/${doc.specVersion}"` +
    `${attr('serialNumber', doc.serialNumber)}${attr('version', doc.version ?? 1)}>\n` +
    metadata +
    (components.length ? `<components>\n${components.map(componentXml).join('\n')}\n</components>\n` : '') +
    (deps.length
      ? `<dependencies>\n${deps
          .map(
            (d) =>
              `<dependency${attr('ref', d.ref)}>${(Array.isArray(d.dependsOn) ? d.dependsOn : []).map((x) => `<dependency${attr('ref', x)}/>`).join('')}</dependency>`,
          )
          .join('\n')}\n</dependencies>\n`
      : '') +
    '</bom>\n'
  );
}
