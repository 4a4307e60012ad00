// An uploaded SBOM's components as component_inbox keeps them until the merge expands them (no
// I/O; src/store/migrations/0017_component_inbox.sql): per component, in SBOM order, its
// package-version id, its depth (1 for a direct dependency) and the index of its parent on one
// shortest path from the product (−1 for a direct one), int32 big-endian each. A query reads the
// rows it can match and turns them into pending records (src/domain/postings.ts), exactly the
// entries the merge will write: the kept occurrence per package version, with its ancestor chain.
import { encodePending, type PendingRead, shallowestPerPackageVersion } from './postings.ts';

export const COMPONENT_BYTES = 12;

/** An SBOM's components as columns (as parseSbom and the interning give them). */
export interface ComponentColumns {
  pv: Int32Array;
  depth: Int32Array;
  parent: Int32Array;
}

export function encodeComponents(c: ComponentColumns): Buffer {
  const n = c.pv.length;
  if (c.depth.length !== n || c.parent.length !== n) throw new Error('components: columns of different lengths');
  const b = Buffer.allocUnsafe(n * COMPONENT_BYTES);
  for (let i = 0, at = 0; i < n; i++, at += COMPONENT_BYTES) {
    b.writeInt32BE(c.pv[i] as number, at);
    b.writeInt32BE(c.depth[i] as number, at + 4);
    b.writeInt32BE(c.parent[i] as number, at + 8);
  }
  return b;
}

/**
 * Decodes and checks: every depth at least 1, every parent either −1 at depth 1 or another
 * component one level up. Throws on anything else (a corrupt row).
 */
export function decodeComponents(b: Uint8Array): ComponentColumns {
  if (b.byteLength % COMPONENT_BYTES !== 0) throw new Error('components: a partial record');
  const n = b.byteLength / COMPONENT_BYTES;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pv = new Int32Array(n);
  const depth = new Int32Array(n);
  const parent = new Int32Array(n);
  for (let i = 0, at = 0; i < n; i++, at += COMPONENT_BYTES) {
    pv[i] = v.getInt32(at);
    depth[i] = v.getInt32(at + 4);
    parent[i] = v.getInt32(at + 8);
  }
  for (let i = 0; i < n; i++) {
    const d = depth[i] as number;
    const p = parent[i] as number;
    const ok = d >= 1 && (p === -1 ? d === 1 : p >= 0 && p < n && depth[p] === d - 1);
    if (!ok) throw new Error(`components: component ${i} has depth ${d} and parent ${p}`);
  }
  return { pv, depth, parent };
}

/** The distinct package versions an SBOM ships, ascending. */
export function distinctPvIds(pv: Int32Array): number[] {
  return Array.from(new Set(pv)).sort((a, b) => a - b);
}

/**
 * One inbox SBOM's entries for the wanted package versions, as pending records (package version,
 * SBOM id, depth) and, when asked, their chains: per package version the kept occurrence
 * (shallowestPerPackageVersion, as the merge keeps it), its ancestors product side first.
 */
export function inboxPending(sbomId: number, c: ComponentColumns, wanted: ReadonlySet<number>, withChains: boolean): PendingRead {
  const kept = shallowestPerPackageVersion(c.pv, c.depth, wanted);
  const records = encodePending(Array.from(kept, (i) => ({ pvId: c.pv[i] as number, sbomId, depth: c.depth[i] as number })));
  if (!withChains) return { records, chains: null };
  let chainBytes = 0;
  for (const i of kept) chainBytes += 4 * ((c.depth[i] as number) - 1);
  const chains = Buffer.allocUnsafe(chainBytes);
  let at = 0;
  for (const i of kept) {
    // Walk up to the product, writing from the end of this chain backwards.
    let end = at + 4 * ((c.depth[i] as number) - 1);
    at = end;
    for (let p = c.parent[i] as number; p >= 0; p = c.parent[p] as number) {
      end -= 4;
      chains.writeInt32BE(c.pv[p] as number, end);
    }
  }
  return { records, chains };
}

/** Several pending reads as one (chains kept only when every part has them). */
export function joinPending(parts: readonly PendingRead[]): PendingRead {
  const withChains = parts.every((p) => p.chains !== null);
  return {
    records: Buffer.concat(parts.map((p) => p.records)),
    chains: withChains ? Buffer.concat(parts.map((p) => p.chains as Uint8Array)) : null,
  };
}
