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

/** One match of a query: where it is and, when asked for, its ancestors' package-version ids. */
export interface PackedHit {
  sbomId: number;
  idx: number;
  depth: number;
  pvId: number;
  chain: Int32Array | null;
}

/**
 * Decodes the packed hits: per match, int32 big-endian sbom id, idx, depth, pv id, and (with
 * chains) the chain's byte length followed by the chain.
 */
export function unpackHits(b: Uint8Array, withChains: boolean): PackedHit[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: PackedHit[] = [];
  let at = 0;
  while (at < b.byteLength) {
    const sbomId = view.getInt32(at);
    const idx = view.getInt32(at + 4);
    const depth = view.getInt32(at + 8);
    const pvId = view.getInt32(at + 12);
    at += 16;
    let chain: Int32Array | null = null;
    if (withChains) {
      const len = view.getInt32(at);
      at += 4;
      if (len % 4 !== 0 || at + len > b.byteLength) throw new Error('packed hits: a chain runs past the end');
      chain = new Int32Array(len / 4);
      for (let k = 0; k < chain.length; k++) chain[k] = view.getInt32(at + 4 * k);
      at += len;
    }
    out.push({ sbomId, idx, depth, pvId, chain });
  }
  if (at !== b.byteLength) throw new Error('packed hits: trailing bytes');
  return out;
}
