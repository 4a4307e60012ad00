// A recipient's codeword: one symbol per slot instance, derived from the case's watermark secret,
// the recipient's id and the slot instance's key (the slot's name and the words that follow it).
// A per-recipient subkey HMAC-SHA-256(secret, id) is derived once; a symbol is the first 48 bits
// of SHA-256(subkey ‖ key) reduced modulo the slot's number of alternatives. Without the secret
// the symbols are unpredictable, and for two recipients they are independent: that independence
// is what bounds the chance of accusing an innocent one.
import { createHash, createHmac } from 'node:crypto';

const enc = new TextEncoder();

export function recipientSubkey(secret: Uint8Array, recipientId: string): Buffer {
  return createHmac('sha256', secret).update('village-watermark/1\u0000').update(recipientId).digest();
}

export function symbolFromSubkey(subkey: Uint8Array, key: string, k: number): number {
  const h = createHash('sha256').update(subkey).update(enc.encode(key)).digest();
  // 48 bits reduced modulo k ≤ 16: the bias is below 2^-44.
  return h.readUIntBE(0, 6) % k;
}

/** The symbol (0..k-1) recipient `recipientId` carries in the slot instance `key`. */
export function slotSymbol(secret: Uint8Array, recipientId: string, key: string, k: number): number {
  return symbolFromSubkey(recipientSubkey(secret, recipientId), key, k);
}

/** Keeps each recipient's subkey: tracing scores every candidate on the same observations. */
export class SymbolCache {
  private readonly subkeys = new Map<string, Buffer>();
  constructor(private readonly secret: Uint8Array) {}
  subkey(recipientId: string): Buffer {
    let s = this.subkeys.get(recipientId);
    if (!s) {
      s = recipientSubkey(this.secret, recipientId);
      this.subkeys.set(recipientId, s);
    }
    return s;
  }
  symbol(recipientId: string, key: string, k: number): number {
    return symbolFromSubkey(this.subkey(recipientId), key, k);
  }
}

/**
 * Every candidate's symbol for a slot instance, computed once per key and kept: one trace (or a
 * benchmark's many) scores every candidate on the same keys.
 */
export class CandidateTable {
  private readonly subkeys: Buffer[];
  private readonly memo = new Map<string, Uint8Array>();
  constructor(
    secret: Uint8Array,
    readonly candidates: readonly string[],
  ) {
    this.subkeys = candidates.map((c) => recipientSubkey(secret, c));
  }
  symbols(key: string, k: number): Uint8Array {
    const id = `${k}\u0000${key}`;
    let s = this.memo.get(id);
    if (!s) {
      s = new Uint8Array(this.subkeys.length);
      for (let j = 0; j < s.length; j++) s[j] = symbolFromSubkey(this.subkeys[j] as Buffer, key, k);
      this.memo.set(id, s);
    }
    return s;
  }
}
