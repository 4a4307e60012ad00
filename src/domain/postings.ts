// Posting lists of the component index (no I/O). Per package version, which SBOMs ship it, at
// what depth and through which ancestors, packed into rows of component_postings
// (src/store/migrations/0016_component_postings.sql):
//   entries: per entry, the SBOM id and the depth, int32 big-endian each (ENTRY_BYTES);
//   chains:  per entry in the same order, its depth − 1 ancestor package-version ids, int32
//            big-endian, product side first (as ancestorChains in sbom-paths.ts gives them).
// An SBOM appears at most once per package version: at its shallowest occurrence, then the first
// listed (shallowestPerPackageVersion).

export const ENTRY_BYTES = 8;
/** A merge starts a new row for a package version once its last row holds this many entries. */
export const ROW_CAPACITY = 4096;

/**
 * Which components an SBOM's postings keep: per package version, the shallowest occurrence,
 * then the lowest index. Returns their indices in ascending order.
 */
export function shallowestPerPackageVersion(pv: Int32Array, depth: Int32Array): Int32Array {
  const best = new Map<number, number>();
  for (let i = 0; i < pv.length; i++) {
    const k = pv[i] as number;
    const b = best.get(k);
    if (b === undefined || (depth[i] as number) < (depth[b] as number)) best.set(k, i);
  }
  return Int32Array.from(best.values()).sort();
}

/** A query's matches as columns, one per (SBOM, package version). */
export interface Hits {
  sbomId: Int32Array;
  depth: Int32Array;
  pvId: Int32Array;
  /** Concatenated chains (depth − 1 ids per hit, in hit order), or null when not asked for. */
  chains: Int32Array | null;
  /** Where hit i's chain starts in chains. */
  chainAt: Int32Array | null;
}

export interface PostingRows {
  /** Per row: its package version and how many entries it holds. */
  pvId: Int32Array;
  n: Int32Array;
  /** The rows' entries, concatenated in row order. */
  entries: Uint8Array;
  /** The rows' chains, concatenated in the same order; null when not read. */
  chains: Uint8Array | null;
}

export interface PendingRows {
  pvId: Int32Array;
  sbomId: Int32Array;
  depth: Int32Array;
  /** The rows' paths, concatenated in row order; null when not read. */
  chains: Uint8Array | null;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * Posting rows and pending rows as one set of hits, leaving out SBOMs in `dead` (replaced since
 * the last merge). Throws when the parts do not add up (a corrupt row).
 */
export function decodeHits(postings: PostingRows, pending: PendingRows, dead: ReadonlySet<number>): Hits {
  let total = 0;
  for (const n of postings.n) total += n;
  if (postings.entries.byteLength !== total * ENTRY_BYTES) throw new Error('postings: entries do not add up to the counts');
  const all = total + pending.sbomId.length;
  const sbomId = new Int32Array(all);
  const depth = new Int32Array(all);
  const pvId = new Int32Array(all);
  const withChains = postings.chains !== null && pending.chains !== null;
  const chainAt = withChains ? new Int32Array(all) : null;
  const chainBytes = withChains ? (postings.chains as Uint8Array).byteLength + (pending.chains as Uint8Array).byteLength : 0;
  const chains = withChains ? new Int32Array(chainBytes / 4) : null;
  const ev = view(postings.entries);
  const cv = postings.chains ? view(postings.chains) : null;
  let out = 0;
  let chainOut = 0;
  let entry = 0;
  let chainIn = 0;
  const put = (s: number, d: number, pv: number, src: DataView | null, at: number): number => {
    if (d < 1) throw new Error('postings: a depth below 1');
    if (dead.has(s)) return at + (d - 1) * 4;
    sbomId[out] = s;
    depth[out] = d;
    pvId[out] = pv;
    if (chains && chainAt && src) {
      chainAt[out] = chainOut;
      if (at + (d - 1) * 4 > src.byteLength) throw new Error('postings: chains shorter than the depths');
      for (let k = 0; k < d - 1; k++) chains[chainOut++] = src.getInt32(at + 4 * k);
    }
    out++;
    return at + (d - 1) * 4;
  };
  for (let r = 0; r < postings.n.length; r++) {
    const pv = postings.pvId[r] as number;
    for (let k = postings.n[r] as number; k > 0; k--, entry += ENTRY_BYTES)
      chainIn = put(ev.getInt32(entry), ev.getInt32(entry + 4), pv, cv, chainIn);
  }
  if (cv && chainIn !== cv.byteLength) throw new Error('postings: chains longer than the depths');
  const pcv = pending.chains ? view(pending.chains) : null;
  let pendingIn = 0;
  for (let i = 0; i < pending.sbomId.length; i++)
    pendingIn = put(pending.sbomId[i] as number, pending.depth[i] as number, pending.pvId[i] as number, pcv, pendingIn);
  if (pcv && pendingIn !== pcv.byteLength) throw new Error('pending: paths do not add up to the depths');
  return {
    sbomId: sbomId.subarray(0, out),
    depth: depth.subarray(0, out),
    pvId: pvId.subarray(0, out),
    chains: chains ? chains.subarray(0, chainOut) : null,
    chainAt: chainAt ? chainAt.subarray(0, out) : null,
  };
}

/** One posting row's content. */
export interface PostingRow {
  n: number;
  entries: Uint8Array;
  chains: Uint8Array;
}

/**
 * The row without the entries of SBOMs in `dead`, or null when it holds none of them (nothing to
 * write). The result may hold no entries (the row is to be deleted).
 */
export function withoutSboms(row: PostingRow, dead: ReadonlySet<number>): PostingRow | null {
  const ev = view(row.entries);
  if (row.entries.byteLength !== row.n * ENTRY_BYTES) throw new Error('postings: entries do not add up to the count');
  let hit = false;
  for (let k = 0; k < row.n && !hit; k++) hit = dead.has(ev.getInt32(k * ENTRY_BYTES));
  if (!hit) return null;
  const entries: Uint8Array[] = [];
  const chains: Uint8Array[] = [];
  let n = 0;
  let at = 0;
  for (let k = 0; k < row.n; k++) {
    const s = ev.getInt32(k * ENTRY_BYTES);
    const len = (ev.getInt32(k * ENTRY_BYTES + 4) - 1) * 4;
    if (len < 0 || at + len > row.chains.byteLength) throw new Error('postings: chains do not add up to the depths');
    if (!dead.has(s)) {
      entries.push(row.entries.subarray(k * ENTRY_BYTES, (k + 1) * ENTRY_BYTES));
      chains.push(row.chains.subarray(at, at + len));
      n++;
    }
    at += len;
  }
  if (at !== row.chains.byteLength) throw new Error('postings: chains do not add up to the depths');
  return { n, entries: Buffer.concat(entries), chains: Buffer.concat(chains) };
}

/** Entries as the rows hold them (for tests and tools): SBOM id and depth per entry. */
export function encodeEntries(list: ReadonlyArray<{ sbomId: number; depth: number }>): Buffer {
  const b = Buffer.alloc(list.length * ENTRY_BYTES);
  list.forEach((e, k) => {
    b.writeInt32BE(e.sbomId, k * ENTRY_BYTES);
    b.writeInt32BE(e.depth, k * ENTRY_BYTES + 4);
  });
  return b;
}
