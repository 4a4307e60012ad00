// A Merkle tree over the audit chain's entry hashes, as in RFC 9162 §2.1 (Certificate
// Transparency v2): leaf hash SHA-256(0x00 ‖ leaf), node hash SHA-256(0x01 ‖ left ‖ right), the
// tree of n leaves split at the largest power of two below n. A checkpoint signs the root over
// entries 1..n; an inclusion proof shows that one entry's hash is leaf i of that tree while
// revealing only other entries' (hashed) hashes, never their content. Free of I/O.
import { createHash } from 'node:crypto';

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/** The leaf hash of an entry hash (hex). */
export function leafHash(entryHashHex: string): Buffer {
  return createHash('sha256').update(LEAF).update(Buffer.from(entryHashHex, 'hex')).digest();
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

const EMPTY_ROOT = createHash('sha256').digest();

/** The largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function mth(leaves: readonly Buffer[], lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[lo] as Buffer;
  const k = split(n);
  return nodeHash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

/** The tree head (hex) over entry hashes in seq order. */
export function merkleRoot(entryHashes: readonly string[]): string {
  return mth(entryHashes.map(leafHash), 0, entryHashes.length).toString('hex');
}

/** The inclusion proof (sibling hashes, hex, leaf to root) of leaf `index` (0-based) in the tree over `entryHashes`. */
export function inclusionProof(entryHashes: readonly string[], index: number): string[] {
  if (index < 0 || index >= entryHashes.length) throw new RangeError('leaf index outside the tree');
  const leaves = entryHashes.map(leafHash);
  const path: Buffer[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(mth(leaves, lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      path.push(mth(leaves, lo, lo + k));
    }
  };
  walk(index, 0, leaves.length);
  return path.map((b) => b.toString('hex'));
}

/** RFC 9162 §2.1.3.2: whether `proof` shows `entryHash` is leaf `index` of the tree of `size` leaves with `root`. */
export function verifyInclusion(entryHash: string, index: number, size: number, proof: readonly string[], root: string): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash(entryHash);
  for (const p of proof) {
    if (!/^[0-9a-f]{64}$/.test(p)) return false;
    const sib = Buffer.from(p, 'hex');
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sib, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, sib);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.toString('hex') === root;
}
