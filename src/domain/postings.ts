// Posting lists of the component index (no I/O). Per package version, which SBOMs ship it, at
// what depth and through which ancestors, packed into rows of component_postings
// (src/store/migrations/0016_component_postings.sql):
//   entries: per entry, the SBOM id and the depth, int32 big-endian each (ENTRY_BYTES);
//   chains:  per entry in the same order, its depth − 1 ancestor package-version ids, int32
//            big-endian, product side first (as ancestorChains in sbom-paths.ts gives them).
// An SBOM appears at most once per package version: at its shallowest occurrence, then the first
// listed (shallowestPerPackageVersion).

export const ENTRY_BYTES = 8;
/** Entries a row holds at most (a merge cuts a package version's new entries into rows this big). */
export const ROW_CAPACITY = 4096;
/** Partly filled rows a package version may have before a merge compacts them into full ones. */
export const MAX_OPEN_ROWS = 8;

/**
 * Which components an SBOM's postings keep: per package version, the shallowest occurrence,
 * then the lowest index; only for the `wanted` package versions when given. Returns their indices
 * in ascending order.
 */
export function shallowestPerPackageVersion(pv: Int32Array, depth: Int32Array, wanted?: ReadonlySet<number>): Int32Array {
  const best = new Map<number, number>();
  for (let i = 0; i < pv.length; i++) {
    const k = pv[i] as number;
    if (wanted && !wanted.has(k)) continue;
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

/** One posting row as a query reads it. */
export interface PostingRead {
  pvId: number;
  n: number;
  entries: Uint8Array;
  /** null when not read. */
  chains: Uint8Array | null;
}

/** Pending rows as a query reads them: packed (package version, SBOM id, depth) records. */
export interface PendingRead {
  /** Per row: package-version id, SBOM id and depth, int32 big-endian each (PENDING_BYTES). */
  records: Uint8Array;
  /** The rows' paths, concatenated in the same order; null when not read. */
  chains: Uint8Array | null;
}
export const PENDING_BYTES = 12;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Concatenated int32 big-endian values (the SBOM ids of tombstones, as a query reads them). */
export function int32s(b: Uint8Array | null | undefined): Int32Array {
  if (!b || b.byteLength === 0) return new Int32Array(0);
  if (b.byteLength % 4 !== 0) throw new Error('int32 list: a length that is not a multiple of 4');
  const v = view(b);
  const out = new Int32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = v.getInt32(4 * i);
  return out;
}

/**
 * Posting rows and pending rows as one set of hits, leaving out SBOMs in `dead` (replaced since
 * the last merge); chains are decoded when every part carries them. Throws when the parts do not
 * add up (a corrupt row).
 */
export function decodeHits(postings: readonly PostingRead[], pending: PendingRead, dead: ReadonlySet<number>): Hits {
  if (pending.records.byteLength % PENDING_BYTES !== 0) throw new Error('pending: a partial record');
  const pendingCount = pending.records.byteLength / PENDING_BYTES;
  let total = pendingCount;
  let chainBytes = pending.chains?.byteLength ?? 0;
  let withChains = pending.chains !== null;
  for (const row of postings) {
    if (row.entries.byteLength !== row.n * ENTRY_BYTES) throw new Error('postings: entries do not add up to the count');
    total += row.n;
    chainBytes += row.chains?.byteLength ?? 0;
    if (row.chains === null) withChains = false;
  }
  const sbomId = new Int32Array(total);
  const depth = new Int32Array(total);
  const pvId = new Int32Array(total);
  const chainAt = withChains ? new Int32Array(total) : null;
  const chains = withChains ? new Int32Array(chainBytes / 4) : null;
  let out = 0;
  let chainOut = 0;
  /** Adds one hit unless its SBOM is dead; returns where the next chain starts in src. */
  const put = (s: number, d: number, pv: number, src: DataView | null, at: number): number => {
    if (d < 1) throw new Error('postings: a depth below 1');
    const next = at + (d - 1) * 4;
    if (dead.has(s)) return next;
    sbomId[out] = s;
    depth[out] = d;
    pvId[out] = pv;
    if (chains && chainAt && src) {
      if (next > src.byteLength) throw new Error('postings: chains shorter than the depths');
      chainAt[out] = chainOut;
      for (let k = at; k < next; k += 4) chains[chainOut++] = src.getInt32(k);
    }
    out++;
    return next;
  };
  for (const row of postings) {
    const ev = view(row.entries);
    const cv = withChains && row.chains ? view(row.chains) : null;
    let at = 0;
    for (let k = 0; k < row.n; k++) at = put(ev.getInt32(k * ENTRY_BYTES), ev.getInt32(k * ENTRY_BYTES + 4), row.pvId, cv, at);
    if (cv && at !== cv.byteLength) throw new Error('postings: chains do not add up to the depths');
  }
  const rv = view(pending.records);
  const pcv = withChains && pending.chains ? view(pending.chains) : null;
  let at = 0;
  for (let i = 0; i < pendingCount; i++) {
    const o = i * PENDING_BYTES;
    at = put(rv.getInt32(o + 4), rv.getInt32(o + 8), rv.getInt32(o), pcv, at);
  }
  if (pcv && at !== pcv.byteLength) throw new Error('pending: paths do not add up to the depths');
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

/**
 * The rows' entries (and chains) in order, cut into rows of `capacity` entries, the last holding
 * the rest: what a compaction writes in place of a package version's partly filled rows.
 */
export function packRows(rows: readonly PostingRow[], capacity: number): PostingRow[] {
  const out: PostingRow[] = [];
  let entries: Uint8Array[] = [];
  let chains: Uint8Array[] = [];
  let n = 0;
  const flush = () => {
    if (!n) return;
    out.push({ n, entries: Buffer.concat(entries), chains: Buffer.concat(chains) });
    entries = [];
    chains = [];
    n = 0;
  };
  for (const row of rows) {
    if (row.entries.byteLength !== row.n * ENTRY_BYTES) throw new Error('postings: entries do not add up to the count');
    const ev = view(row.entries);
    let at = 0;
    for (let k = 0; k < row.n; k++) {
      const len = (ev.getInt32(k * ENTRY_BYTES + 4) - 1) * 4;
      if (len < 0 || at + len > row.chains.byteLength) throw new Error('postings: chains do not add up to the depths');
      entries.push(row.entries.subarray(k * ENTRY_BYTES, (k + 1) * ENTRY_BYTES));
      chains.push(row.chains.subarray(at, at + len));
      at += len;
      if (++n === capacity) flush();
    }
    if (at !== row.chains.byteLength) throw new Error('postings: chains do not add up to the depths');
  }
  flush();
  return out;
}

/** Pending records as a query reads them (for tests and tools). */
export function encodePending(list: ReadonlyArray<{ pvId: number; sbomId: number; depth: number }>): Buffer {
  const b = Buffer.alloc(list.length * PENDING_BYTES);
  list.forEach((e, k) => {
    b.writeInt32BE(e.pvId, k * PENDING_BYTES);
    b.writeInt32BE(e.sbomId, k * PENDING_BYTES + 4);
    b.writeInt32BE(e.depth, k * PENDING_BYTES + 8);
  });
  return b;
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
