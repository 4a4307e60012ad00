// SBOM parsing: CycloneDX 1.2–1.6 (JSON and XML) and SPDX 2.3 (JSON), read as a stream so memory
// grows with the number of components, not with the size of the file. The result is normalised:
// each component as a package URL (package identity + version) and, per component, its depth from
// the product (1 = direct dependency) and one parent on a shortest path from the product.
//
// Rules (see docs/architecture.md, "Products and SBOMs"):
// - a component needs a purl, or at least a name (then it is identified as pkg:generic/…, with a
//   warning); a component with neither is an error naming its position;
// - a dependency naming a component the document does not define is an error naming it;
// - dependency cycles are legal in npm and Go (two of the shared samples have them): they are
//   reported as a warning naming one cycle; a cycle through the product itself is an error;
// - components the graph does not connect to the product count as direct dependencies.
import { createReadStream } from 'node:fs';
import type { JSONParser } from '@streamparser/json';
import type { SaxesParser } from 'saxes';
import { cycloneDxSchemaError } from './cyclonedx-schema.ts';
import type { XsdResult } from './cyclonedx-xsd.ts';
import { validateCycloneDxXmlOffThread } from './cyclonedx-xsd-thread.ts';
import { genericPurl, normalizePurl, type PurlError } from './purl-normal.ts';

export type SbomFormat = 'cyclonedx-json' | 'cyclonedx-xml' | 'spdx-json';
export type SbomErrorCode =
  | 'malformed'
  | 'unknown-format'
  | 'unsupported-version'
  | 'missing-identifier'
  | 'invalid-purl'
  | 'duplicate-reference'
  | 'unknown-reference'
  | 'cycle'
  | 'schema'
  | 'too-large';

/** Where a schema error is (a JSON pointer, or an XML line) and what it is. */
export interface SbomIssue {
  field: string;
  message: string;
}

export class SbomError extends Error {
  constructor(
    readonly code: SbomErrorCode,
    message: string,
    /** Schema errors: the first few, and how many there are. */
    readonly issues?: { errors: SbomIssue[]; errorCount: number },
  ) {
    super(message);
  }
}

export interface SbomComponent {
  ref: string | null;
  name: string;
  /** pkg:type/namespace/name */
  pkg: string;
  type: string;
  version: string | null;
  purl: string;
}

export interface ParsedSbom {
  format: SbomFormat;
  specVersion: string;
  root: { name: string; version: string | null; purl: string | null } | null;
  components: SbomComponent[];
  /** Per component: 1 for a direct dependency of the product, 2 for its dependencies, … */
  depth: Int32Array;
  /** Per component: the index of its parent on one shortest path from the product; -1 for direct ones. */
  parent: Int32Array;
  edgeCount: number;
  /** The dependency graph: (from, to) component index pairs, -1 being the product. */
  edges: Int32Array;
  warnings: string[];
}

export interface ParseOptions {
  maxComponents?: number;
  /**
   * Validate CycloneDX documents up to this size against the CycloneDX schema: JSON with the
   * library's JSON schemas (cyclonedx-schema.ts), XML with its XSDs (cyclonedx-xsd.ts). 0: never.
   */
  schemaValidateBytes?: number;
  /** JSON documents up to this size are read whole rather than streamed (default 16 MiB, or schemaValidateBytes if larger). */
  inMemoryBytes?: number;
}

export const CYCLONEDX_VERSIONS = ['1.2', '1.3', '1.4', '1.5', '1.6'] as const;
const DEFAULT_MAX_COMPONENTS = 500_000;
const DEFAULT_SCHEMA_BYTES = 16 * 1024 * 1024;
const DEFAULT_IN_MEMORY_BYTES = 16 * 1024 * 1024;
/** Schema errors listed in an SbomError (the rest are counted). */
const MAX_SCHEMA_ISSUES = 10;

interface RawComponent {
  ref: string | null;
  name: string | null;
  group: string | null;
  version: string | null;
  purl: string | null;
  /** Where it was found, for error messages. */
  where: string;
}

/** Collects components and edges as the parsers find them, and normalises them at the end. */
class Builder {
  format: SbomFormat | null = null;
  specVersion: string | null = null;
  root: RawComponent | null = null;
  /** SPDX: the ids the document says it describes. */
  describes: string[] = [];
  readonly raw: RawComponent[] = [];
  readonly edges: Array<[string, string]> = [];
  constructor(readonly maxComponents: number) {}

  component(c: RawComponent): void {
    if (this.raw.length >= this.maxComponents)
      throw new SbomError('too-large', `the SBOM has more than ${this.maxComponents} components`);
    this.raw.push(c);
  }

  finish(): ParsedSbom {
    if (!this.format || !this.specVersion) throw new SbomError('unknown-format', 'not a CycloneDX or SPDX document');
    const warnings: string[] = [];
    let generic = 0;
    const components: SbomComponent[] = this.raw.map((r) => {
      let n: ReturnType<typeof normalizePurl>;
      if (r.purl) {
        try {
          n = normalizePurl(r.purl);
        } catch (e) {
          throw new SbomError('invalid-purl', `${r.where}: ${(e as PurlError).message}`);
        }
      } else if (r.name) {
        generic++;
        n = genericPurl(r.name, r.group ?? undefined, r.version ?? undefined);
      } else throw new SbomError('missing-identifier', `${r.where} has neither a purl nor a name`);
      return { ref: r.ref, name: r.name ?? n.pkg, pkg: n.pkg, type: n.type, version: n.version ?? r.version, purl: n.full };
    });
    if (generic) warnings.push(`${generic} component(s) without a purl were identified by name as pkg:generic/…`);

    const index = new Map<string, number>();
    components.forEach((c, i) => {
      if (c.ref === null) return;
      if (index.has(c.ref) || c.ref === this.root?.ref)
        throw new SbomError('duplicate-reference', `the reference "${c.ref}" names more than one component`);
      index.set(c.ref, i);
    });
    // SPDX: the described package is the product, unless the document describes several.
    let rootRef = this.root?.ref ?? null;
    if (this.format === 'spdx-json') {
      const described = [...new Set(this.describes)];
      if (described.length === 1 && index.has(described[0] as string)) {
        const i = index.get(described[0] as string) as number;
        const c = components[i] as SbomComponent;
        this.root = { ref: c.ref, name: c.name, group: null, version: c.version, purl: c.purl, where: 'the described package' };
        rootRef = c.ref;
        components.splice(i, 1);
        index.clear();
        components.forEach((x, j) => {
          if (x.ref !== null) index.set(x.ref, j);
        });
      } else {
        rootRef = 'SPDXRef-DOCUMENT';
        for (const d of described) this.edges.push([rootRef, d]);
      }
    }
    const n = components.length;
    const fromList: number[] = [];
    const toList: number[] = [];
    for (const [from, to] of this.edges) {
      if (from === to && from === rootRef) continue;
      const f = from === rootRef ? -1 : index.get(from);
      if (f === undefined) throw new SbomError('unknown-reference', `a dependency names "${from}", which no component defines`);
      if (to === rootRef)
        throw new SbomError('cycle', `the product depends on itself: "${from}" depends on the product "${rootRef}"`);
      const t = index.get(to);
      if (t === undefined) throw new SbomError('unknown-reference', `"${from}" depends on "${to}", which no component defines`);
      if (f === t) continue;
      fromList.push(f);
      toList.push(t);
    }
    // Adjacency in compressed form (offsets into one array); -1 (the product) is slot n.
    const slot = (f: number) => (f === -1 ? n : f);
    const start = new Int32Array(n + 2);
    for (const f of fromList) start[slot(f) + 1] = (start[slot(f) + 1] ?? 0) + 1;
    for (let i = 0; i < n + 1; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
    const adj = new Int32Array(fromList.length);
    const fill = start.slice();
    const indeg = new Int32Array(n);
    for (let e = 0; e < fromList.length; e++) {
      const s = slot(fromList[e] as number);
      adj[(fill[s] as number)++] = toList[e] as number;
      indeg[toList[e] as number] = (indeg[toList[e] as number] as number) + 1;
    }
    const depth = new Int32Array(n);
    const parent = new Int32Array(n).fill(-1);
    const bfs = (seeds: number[]) => {
      let frontier = seeds;
      let d = 1;
      for (const s of seeds) depth[s] = 1;
      while (frontier.length) {
        const next: number[] = [];
        d++;
        for (const u of frontier)
          for (let k = start[u] as number; k < (start[u + 1] as number); k++) {
            const v = adj[k] as number;
            if (depth[v] === 0) {
              depth[v] = d;
              parent[v] = u;
              next.push(v);
            }
          }
        frontier = next;
      }
    };
    const rootDeps: number[] = [];
    for (let k = start[n] as number; k < (start[n + 1] as number); k++)
      if (depth[adj[k] as number] === 0) rootDeps.push(adj[k] as number);
    const uniqueRootDeps = [...new Set(rootDeps)];
    bfs(uniqueRootDeps);
    const loose: number[] = [];
    for (let i = 0; i < n; i++) if (depth[i] === 0 && indeg[i] === 0) loose.push(i);
    bfs(loose);
    for (let i = 0; i < n; i++) if (depth[i] === 0) bfs([i]);

    const cycle = findCycle(n, start, adj);
    if (cycle)
      warnings.push(
        `dependency cycle: ${cycle.map((i) => (components[i] as SbomComponent).ref ?? (components[i] as SbomComponent).purl).join(' → ')}`,
      );
    const root = this.root ? { name: this.root.name ?? 'product', version: this.root.version, purl: this.root.purl } : null;
    const edges = new Int32Array(fromList.length * 2);
    for (let e = 0; e < fromList.length; e++) {
      edges[2 * e] = fromList[e] as number;
      edges[2 * e + 1] = toList[e] as number;
    }
    return {
      format: this.format,
      specVersion: this.specVersion,
      root,
      components,
      depth,
      parent,
      edgeCount: fromList.length,
      edges,
      warnings,
    };
  }
}

/** One cycle among the components (iterative DFS), as the indices around it, or null. */
function findCycle(n: number, start: Int32Array, adj: Int32Array): number[] | null {
  const color = new Uint8Array(n);
  const pos = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    if (color[s]) continue;
    const stack = [s];
    color[s] = 1;
    pos[s] = start[s] as number;
    while (stack.length) {
      const u = stack[stack.length - 1] as number;
      if ((pos[u] as number) < (start[u + 1] as number)) {
        const v = adj[pos[u] as number] as number;
        pos[u] = (pos[u] as number) + 1;
        if (color[v] === 1) return [...stack.slice(stack.indexOf(v)), v];
        if (color[v] === 0) {
          color[v] = 1;
          pos[v] = start[v] as number;
          stack.push(v);
        }
      } else {
        color[u] = 2;
        stack.pop();
      }
    }
  }
  return null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

// --- JSON (CycloneDX and SPDX in one pass) ---------------------------------------------------------

type Json = Record<string, unknown>;

function cdxJsonComponent(b: Builder, c: unknown, where: string): void {
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new SbomError('malformed', `${where} is not an object`);
  const o = c as Json;
  b.component({
    ref: str(o['bom-ref']),
    name: str(o.name),
    group: str(o.group),
    version: str(o.version),
    purl: str(o.purl),
    where: `${where}${str(o.name) ? ` ("${str(o.name)}")` : ''}`,
  });
  if (Array.isArray(o.components))
    o.components.forEach((sub, i) => {
      cdxJsonComponent(b, sub, `${where}.components[${i}]`);
      // A component inside another ships inside it.
      const parentRef = str(o['bom-ref']);
      const childRef = str((sub as Json)['bom-ref']);
      if (parentRef && childRef) b.edges.push([parentRef, childRef]);
    });
}

const SPDX_FORWARD = new Set(['DEPENDS_ON', 'CONTAINS', 'HAS_PREREQUISITE']);
const SPDX_BACKWARD = new Set([
  'DEPENDENCY_OF',
  'CONTAINED_BY',
  'PREREQUISITE_FOR',
  'DEV_DEPENDENCY_OF',
  'BUILD_DEPENDENCY_OF',
  'RUNTIME_DEPENDENCY_OF',
  'OPTIONAL_DEPENDENCY_OF',
  'PROVIDED_DEPENDENCY_OF',
  'TEST_DEPENDENCY_OF',
]);

/** The streaming readers, imported on first use: a server that is sent no SBOM never loads them. */
async function importReaders() {
  const [json, xml] = await Promise.all([import('@streamparser/json'), import('saxes')]);
  return { JSONParser: json.JSONParser, SaxesParser: xml.SaxesParser };
}
type Readers = Awaited<ReturnType<typeof importReaders>>;
let readers: Promise<Readers> | null = null;

function jsonParser(b: Builder, { JSONParser }: Readers): JSONParser {
  const p = new JSONParser({
    paths: [
      '$.bomFormat',
      '$.specVersion',
      '$.metadata',
      '$.components.*',
      '$.dependencies.*',
      '$.spdxVersion',
      '$.documentDescribes',
      '$.packages.*',
      '$.relationships.*',
    ],
    keepStack: false,
  });
  p.onValue = ({ value, key, stack }) => {
    onJsonValue(b, stack.length <= 1 ? key : stack[1]?.key, key, value);
  };
  return p;
}

/** The root keys whose values (or, for arrays, items) the JSON reader hands to onJsonValue. */
const JSON_ITEMS = new Set(['components', 'dependencies', 'packages', 'relationships']);
const JSON_VALUES = new Set(['bomFormat', 'specVersion', 'metadata', 'spdxVersion', 'documentDescribes']);

/** A document read whole: the same values, in document order, as the streaming reader gives. */
function walkJson(b: Builder, doc: unknown): void {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return;
  for (const [k, v] of Object.entries(doc as Json)) {
    if (JSON_VALUES.has(k)) onJsonValue(b, k, k, v);
    else if (JSON_ITEMS.has(k) && Array.isArray(v)) for (let i = 0; i < v.length; i++) onJsonValue(b, k, i, v[i]);
    else if (JSON_ITEMS.has(k) && v && typeof v === 'object') for (const [i, x] of Object.entries(v)) onJsonValue(b, k, i, x);
  }
}

function onJsonValue(b: Builder, top: unknown, key: unknown, value: unknown): void {
  switch (top) {
    case 'bomFormat':
      if (value !== 'CycloneDX') throw new SbomError('unknown-format', `bomFormat is ${JSON.stringify(value)}, not "CycloneDX"`);
      b.format = 'cyclonedx-json';
      return;
    case 'specVersion':
      if (!CYCLONEDX_VERSIONS.includes(value as (typeof CYCLONEDX_VERSIONS)[number]))
        throw new SbomError(
          'unsupported-version',
          `CycloneDX specVersion ${JSON.stringify(value)} is not supported (1.2 to 1.6 are)`,
        );
      b.specVersion = value as string;
      return;
    case 'metadata': {
      const c = (value as Json | null)?.component as Json | undefined;
      if (c && typeof c === 'object')
        b.root = {
          ref: str(c['bom-ref']),
          name: str(c.name),
          group: str(c.group),
          version: str(c.version),
          purl: str(c.purl),
          where: 'metadata.component',
        };
      return;
    }
    case 'components':
      cdxJsonComponent(b, value, `components[${key}]`);
      return;
    case 'dependencies': {
      const d = value as Json;
      const ref = str(d?.ref);
      if (!ref) throw new SbomError('missing-identifier', `dependencies[${key}] has no ref`);
      for (const to of Array.isArray(d.dependsOn) ? d.dependsOn : []) {
        const t = str(to);
        if (!t) throw new SbomError('malformed', `dependencies[${key}].dependsOn holds a non-string`);
        b.edges.push([ref, t]);
      }
      return;
    }
    case 'spdxVersion':
      if (value !== 'SPDX-2.3')
        throw new SbomError('unsupported-version', `spdxVersion ${JSON.stringify(value)} is not supported (SPDX-2.3 is)`);
      b.format = 'spdx-json';
      b.specVersion = '2.3';
      return;
    case 'documentDescribes':
      if (Array.isArray(value)) for (const d of value) if (str(d)) b.describes.push(str(d) as string);
      return;
    case 'packages': {
      const o = value as Json;
      const ref = str(o?.SPDXID);
      if (!ref) throw new SbomError('missing-identifier', `packages[${key}] has no SPDXID`);
      const refs = Array.isArray(o.externalRefs) ? (o.externalRefs as Json[]) : [];
      const purl = refs.find((r) => r?.referenceType === 'purl' && str(r.referenceLocator));
      b.component({
        ref,
        name: str(o.name),
        group: null,
        version: str(o.versionInfo),
        purl: purl ? str(purl.referenceLocator) : null,
        where: `packages[${key}] (${ref})`,
      });
      return;
    }
    case 'relationships': {
      const r = value as Json;
      const a = str(r?.spdxElementId);
      const t = str(r?.relationshipType);
      const z = str(r?.relatedSpdxElement);
      if (!a || !t || !z)
        throw new SbomError('malformed', `relationships[${key}] lacks spdxElementId, relationshipType or relatedSpdxElement`);
      if (t === 'DESCRIBES' && a === 'SPDXRef-DOCUMENT') b.describes.push(z);
      else if (t === 'DESCRIBED_BY' && z === 'SPDXRef-DOCUMENT') b.describes.push(a);
      else if (SPDX_FORWARD.has(t)) b.edges.push([a, z]);
      else if (SPDX_BACKWARD.has(t)) b.edges.push([z, a]);
      return;
    }
  }
}

// --- XML (CycloneDX) ---------------------------------------------------------------------------------

function xmlParser(b: Builder, { SaxesParser }: Readers): SaxesParser {
  const p = new SaxesParser({ xmlns: true, position: false });
  const path: string[] = [];
  const comps: RawComponent[] = [];
  let text = '';
  let depRef: string | null = null;
  let count = 0;
  p.on('opentag', (node) => {
    const name = node.local ?? node.name;
    if (path.length === 0) {
      const m = /^http:\/\/cyclonedx\.org\/schema\/bom\/(\d+\.\d+)$/.exec(node.uri ?? '');
      if (name !== 'bom' || !m) throw new SbomError('unknown-format', 'the XML document is not a CycloneDX bom');
      if (!CYCLONEDX_VERSIONS.includes(m[1] as (typeof CYCLONEDX_VERSIONS)[number]))
        throw new SbomError('unsupported-version', `CycloneDX ${m[1]} is not supported (1.2 to 1.6 are)`);
      b.format = 'cyclonedx-xml';
      b.specVersion = m[1] as string;
    }
    const parentName = path[path.length - 1];
    path.push(name);
    text = '';
    const attr = (k: string) => {
      const a = node.attributes[k];
      return typeof a === 'string' ? str(a) : str(a?.value);
    };
    if (name === 'component' && (parentName === 'components' || (parentName === 'metadata' && path.length === 3))) {
      const isRoot = parentName === 'metadata';
      const c: RawComponent = {
        ref: attr('bom-ref'),
        name: null,
        group: null,
        version: null,
        purl: null,
        where: isRoot ? 'metadata/component' : `component #${++count}`,
      };
      // A nested component ships inside its parent.
      const outer = comps[comps.length - 1];
      if (!isRoot && outer?.ref && c.ref && path[path.length - 3] === 'component') b.edges.push([outer.ref, c.ref]);
      comps.push(c);
    } else if (name === 'dependency' && path.length >= 3 && path[1] === 'dependencies') {
      const ref = attr('ref');
      if (!ref) throw new SbomError('missing-identifier', 'a <dependency> has no ref');
      if (path.length === 3) depRef = ref;
      else if (depRef) b.edges.push([depRef, ref]);
    }
  });
  p.on('text', (t) => {
    text += t;
  });
  p.on('cdata', (t) => {
    text += t;
  });
  p.on('closetag', (node) => {
    const name = node.local ?? node.name;
    path.pop();
    const c = comps[comps.length - 1];
    // Fields directly inside the innermost open component.
    if (c && path[path.length - 1] === 'component' && ['name', 'group', 'version', 'purl'].includes(name))
      c[name as 'name' | 'group' | 'version' | 'purl'] = str(text);
    if (name === 'component' && c && (path[path.length - 1] === 'components' || path[path.length - 1] === 'metadata')) {
      comps.pop();
      if (path[path.length - 1] === 'metadata') b.root = c;
      else b.component({ ...c, where: `${c.where}${c.name ? ` ("${c.name}")` : ''}` });
    }
    text = '';
  });
  return p;
}

// --- entry points --------------------------------------------------------------------------------------

/**
 * Parses an SBOM from a stream of bytes; throws SbomError naming what is wrong. A JSON document
 * up to `inMemoryBytes` is read whole (JSON.parse, several times faster than the streaming
 * reader); a larger one is streamed from the point it passes that size, so memory stays bounded.
 * XML is always streamed.
 */
export async function parseSbom(source: AsyncIterable<Uint8Array | string>, opts: ParseOptions = {}): Promise<ParsedSbom> {
  const b = new Builder(opts.maxComponents ?? DEFAULT_MAX_COMPONENTS);
  readers ??= importReaders();
  const libs = await readers;
  const schemaBytes = opts.schemaValidateBytes ?? DEFAULT_SCHEMA_BYTES;
  const inMemoryBytes = opts.inMemoryBytes ?? Math.max(DEFAULT_IN_MEMORY_BYTES, schemaBytes);
  let kind: 'json' | 'xml' | null = null;
  let json: JSONParser | null = null;
  let xml: SaxesParser | null = null;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // A JSON document's text while it fits in memory; null once it is being streamed.
  let held: string[] | null = [];
  let size = 0;
  let failure: unknown = null;
  let whole: unknown;
  // An XML document's text as parsed, kept for schema validation while it is within the bound.
  let xmlText: string[] | null = null;
  // Lines before the document's first character (trimmed here), for libxml2's line numbers.
  let xmlLineOffset = 0;
  const startStreaming = () => {
    json = jsonParser(b, libs);
    json.onError = (e) => {
      failure ??= e;
    };
    for (const s of held ?? []) json.write(s);
    held = null;
  };
  try {
    for await (const chunk of source) {
      let s: string;
      try {
        s = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      } catch {
        throw new SbomError('malformed', 'the document is not valid UTF-8');
      }
      if (s.length === 0) continue;
      size += s.length;
      if (kind === null) {
        const t = s.replace(/^\uFEFF/, '').trimStart();
        if (t.length === 0) {
          xmlLineOffset += s.split('\n').length - 1;
          continue;
        }
        xmlLineOffset += s.slice(0, s.length - t.length).split('\n').length - 1;
        s = t;
        kind = t[0] === '<' ? 'xml' : t[0] === '{' ? 'json' : null;
        if (kind === null) throw new SbomError('unknown-format', 'the document is neither JSON nor XML');
        if (kind === 'xml') {
          xml = xmlParser(b, libs);
          held = null;
          if (schemaBytes > 0) xmlText = [];
        }
      }
      if (xmlText) {
        xmlText.push(s);
        if (size > schemaBytes) xmlText = null;
      }
      if (held) {
        held.push(s);
        if (size > inMemoryBytes) startStreaming();
      } else if (json) (json as JSONParser).write(s);
      else xml?.write(s);
      if (failure) throw failure;
    }
    const tail = decoder.decode();
    if (tail) throw new SbomError('malformed', 'the document is not valid UTF-8');
    if (kind === null) throw new SbomError('malformed', 'the document is empty');
    if (held) {
      whole = JSON.parse((held as string[]).join(''));
      walkJson(b, whole);
    } else if (json) {
      const j = json as JSONParser;
      if (!j.isEnded) j.end();
      if (failure) throw failure;
    } else xml?.close();
  } catch (e) {
    if (e instanceof SbomError) throw e;
    throw new SbomError('malformed', `the ${kind === 'xml' ? 'XML' : 'JSON'} is malformed: ${(e as Error).message}`);
  }
  const parsed = b.finish();
  // Schema validation against the CycloneDX library's schemas, for documents within the bound.
  if (parsed.format === 'cyclonedx-json' && whole !== undefined && size <= schemaBytes) {
    const error = await cycloneDxSchemaError(parsed.specVersion, whole);
    if (error)
      throw new SbomError(
        'schema',
        `the document does not follow the CycloneDX ${parsed.specVersion} schema: ${error.path} ${error.message}`,
        { errors: [{ field: error.path, message: error.message }], errorCount: 1 },
      );
  }
  if (parsed.format === 'cyclonedx-xml' && xmlText) {
    const bytes = utf8(xmlText);
    xmlText = null;
    const r = await validateCycloneDxXmlOffThread(parsed.specVersion, bytes, {
      maxIssues: MAX_SCHEMA_ISSUES,
      lineOffset: xmlLineOffset,
    });
    if (!r.valid) throw xsdError(parsed.specVersion, r);
  }
  return parsed;
}

/** Strings as one UTF-8 buffer of its own. */
function utf8(parts: string[]): Uint8Array {
  const encoder = new TextEncoder();
  let length = 0;
  for (const p of parts) length += Buffer.byteLength(p, 'utf8');
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) at += encoder.encodeInto(p, out.subarray(at)).written;
  return out;
}

function xsdError(version: string, r: Extract<XsdResult, { valid: false }>): SbomError {
  const errors = r.issues.map((i) => ({ field: i.line === null ? 'document' : `line ${i.line}`, message: i.message }));
  const first = errors[0];
  const more =
    r.total > 1 ? ` (${r.total} errors in all${r.total > errors.length ? `, the first ${errors.length} in errors` : ''})` : '';
  const what =
    r.kind === 'schema'
      ? `the document does not follow the CycloneDX ${version} XML schema`
      : 'the XML is malformed (as libxml2 reads it)';
  return new SbomError(r.kind, `${what}: ${first ? `${first.field}: ${first.message}` : 'invalid'}${more}`, {
    errors,
    errorCount: r.total,
  });
}

export async function parseSbomFile(path: string, opts: ParseOptions = {}): Promise<ParsedSbom> {
  return parseSbom(createReadStream(path, { highWaterMark: 256 * 1024 }), opts);
}

export async function parseSbomText(text: string | Uint8Array, opts: ParseOptions = {}): Promise<ParsedSbom> {
  return parseSbom(
    (async function* () {
      yield text;
    })(),
    opts,
  );
}
