// The compact forms "who is affected" reads and writes (no I/O):
//   - ancestor chains: per component entry, the package-version ids of its ancestors on its stored
//     shortest path (product side first, the component itself excluded), int32 big-endian, as kept
//     in sbom_components.path;
//   - int4 arrays in PostgreSQL's binary form (array_send), as the component index's reads return
//     them (src/domain/postings.ts has the posting lists themselves).

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
