// The compact forms "who is affected" reads and writes (no I/O):
//   - ancestor chains: per component entry, the package-version ids of its ancestors on its stored
//     shortest path (product side first, the component itself excluded), int32 big-endian, as kept
//     in sbom_components.path;
//   - packed hits: the query's matches as one bytea of fixed-size records followed by each one's
//     chain, so tens of thousands of matches cross from the database as one value.

/**
 * Every component's ancestor chain, all in one buffer: component i's chain is
 * bytes[offset[i], offset[i] + 4 × (depth[i] − 1)). Parents must form a forest in which a parent's
 * depth is its child's minus one (as parseSbom gives).
 */
export function ancestorChains(pv: Int32Array, parent: Int32Array, depth: Int32Array): { bytes: Buffer; offset: Int32Array } {
  const n = pv.length;
  const offset = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    offset[i] = total;
    total += 4 * Math.max(0, (depth[i] as number) - 1);
  }
  const bytes = Buffer.alloc(total);
  // Shallow first, so a parent's chain is written before its children copy it.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (depth[a] as number) - (depth[b] as number));
  for (const i of order) {
    const p = parent[i] as number;
    if (p < 0) continue;
    const len = 4 * ((depth[i] as number) - 1);
    if ((depth[p] as number) !== (depth[i] as number) - 1) throw new Error(`component ${i}: parent ${p} is not one level up`);
    const from = offset[p] as number;
    bytes.copy(bytes, offset[i] as number, from, from + len - 4);
    bytes.writeInt32BE(pv[p] as number, (offset[i] as number) + len - 4);
  }
  return { bytes, offset };
}

/**
 * A query's matches as columns: per match its SBOM id, component index, depth and package-version
 * id; with chains, every match's ancestor chain (depth − 1 ids each, in match order) in one array.
 */
export interface HitColumns {
  sbomId: Int32Array;
  idx: Int32Array;
  depth: Int32Array;
  pvId: Int32Array;
  /** Concatenated chains, or null when not asked for. */
  chains: Int32Array | null;
  /** Where match i's chain starts in chains. */
  chainAt: Int32Array | null;
}

/**
 * Decodes PostgreSQL's binary form of a one-dimensional int4 array without nulls (array_send):
 * ndim, has-nulls flag, element type, length, lower bound, then per element its byte length (4)
 * and value, all big-endian. null (an aggregate over no rows) is the empty array.
 */
export function int4ArrayFromSend(b: Uint8Array | null | undefined): Int32Array {
  if (!b || b.byteLength === 0) return new Int32Array(0);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ndim = view.getInt32(0);
  if (ndim === 0) return new Int32Array(0);
  if (ndim !== 1 || view.getInt32(4) !== 0 || view.getUint32(8) !== 23)
    throw new Error('not a one-dimensional int4 array without nulls');
  const n = view.getInt32(12);
  if (b.byteLength !== 20 + 8 * n) throw new Error('int4 array: wrong length');
  const out = new Int32Array(n);
  for (let i = 0, at = 20; i < n; i++, at += 8) out[i] = view.getInt32(at + 4);
  return out;
}

/** Reads concatenated int32 big-endian values (the chains, as string_agg of sbom_components.path gives them). */
export function int32sFromBytes(b: Uint8Array | null | undefined): Int32Array {
  if (!b || b.byteLength === 0) return new Int32Array(0);
  if (b.byteLength % 4 !== 0) throw new Error('chains: a length that is not a multiple of 4');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Int32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i);
  return out;
}

/** The columns of a query's matches; with chains, checks that they add up to the depths. */
export function hitColumns(
  cols: { sbomId: Int32Array; idx: Int32Array; depth: Int32Array; pvId: Int32Array },
  chains: Int32Array | null,
): HitColumns {
  const n = cols.sbomId.length;
  if (cols.idx.length !== n || cols.depth.length !== n || cols.pvId.length !== n) throw new Error('hit columns differ in length');
  let chainAt: Int32Array | null = null;
  if (chains) {
    chainAt = new Int32Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      chainAt[i] = at;
      at += (cols.depth[i] as number) - 1;
    }
    if (at !== chains.length) throw new Error('chains do not add up to the depths');
  }
  return { ...cols, chains, chainAt };
}
