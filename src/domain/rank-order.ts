// Ordering by small integer ranks in linear time (no I/O): who is affected orders up to tens of
// thousands of rows by (place rank, component and tag rank), both dense integers, so two stable
// counting-sort passes replace a comparison sort.

/**
 * Positions 0 … n − 1 ordered by (major, minor), ties kept in position order: a stable counting
 * sort by minor, then one by major (least significant digit first). Ranks must lie in
 * [0, majorSize) and [0, minorSize).
 */
export function orderByRanks(major: Int32Array, majorSize: number, minor: Int32Array, minorSize: number): Int32Array {
  const n = major.length;
  if (minor.length !== n) throw new Error('rank columns differ in length');
  const byMinor = countingPass(
    Int32Array.from({ length: n }, (_, i) => i),
    minor,
    minorSize,
  );
  return countingPass(byMinor, major, majorSize);
}

/** The positions in `order`, stably re-ordered by rank[position]. */
function countingPass(order: Int32Array, rank: Int32Array, size: number): Int32Array {
  const start = new Int32Array(size + 1);
  for (let k = 0; k < order.length; k++) {
    const r = rank[order[k] as number] as number;
    if (r < 0 || r >= size) throw new Error(`rank ${r} outside [0, ${size})`);
    start[r + 1] = (start[r + 1] as number) + 1;
  }
  for (let r = 0; r < size; r++) start[r + 1] = (start[r + 1] as number) + (start[r] as number);
  const out = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const p = order[k] as number;
    const r = rank[p] as number;
    out[start[r] as number] = p;
    start[r] = (start[r] as number) + 1;
  }
  return out;
}
