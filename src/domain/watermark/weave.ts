// Weaving a codeword into text: every slot shows the alternative the recipient's symbol picks.
// Slots are resolved from the end of the text backwards, because a slot's key is made of the
// words that follow it, which may themselves contain slots.
import { recipientSubkey, symbolFromSubkey } from './codeword.ts';
import { firstTokens, normalizeText } from './normalize.ts';
import type { Segment, Slot } from './slots.ts';

export interface WatermarkKey {
  /** The case's watermark secret. */
  secret: Uint8Array;
  /** Who receives this copy (an organization id). */
  recipientId: string;
}

/** The key of a slot instance, from the normalized text that follows it. */
export function instanceKey(slot: Slot, following: string[]): string {
  return slot.context === 0 ? slot.name : `${slot.name}|${following.join(' ')}`;
}

function renderAlt(seg: Exclude<Segment, string>, alt: number): string {
  if (seg.slot.kind === 'phrase') return seg.slot.alts[alt] as string;
  const f = seg.slot.alts[alt];
  if (!f || !('value' in seg)) throw new Error(`format slot ${seg.slot.name} needs a value`);
  return f.render(seg.value);
}

/**
 * The text, each slot showing the recipient's alternative; without a key, every slot shows its
 * first alternative (the canonical, unmarked text).
 */
export function weave(segments: readonly Segment[], key?: WatermarkKey): string {
  const parts: string[] = new Array(segments.length);
  const subkey = key ? recipientSubkey(key.secret, key.recipientId) : null;
  // The raw text after the current position, kept short: only its first words are used.
  let tail = '';
  for (let i = segments.length - 1; i >= 0; i--) {
    const seg = segments[i] as Segment;
    let text: string;
    if (typeof seg === 'string') {
      text = seg;
    } else {
      let alt = 0;
      if (subkey) {
        let following = firstTokens(normalizeText(tail.slice(0, 512)), seg.slot.context);
        if (following.length < seg.slot.context && tail.length > 512)
          following = firstTokens(normalizeText(tail), seg.slot.context);
        alt = symbolFromSubkey(subkey, instanceKey(seg.slot, following), seg.slot.alts.length);
      }
      text = renderAlt(seg, alt);
    }
    parts[i] = text;
    tail = text + (tail.length > 8192 ? tail.slice(0, 8192) : tail);
  }
  return parts.join('');
}
