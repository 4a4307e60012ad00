// Slots: places in generated text where one of several equivalent renderings appears. Which one
// a recipient's copy shows is a symbol of that recipient's codeword.
//
// A phrase slot offers interchangeable phrasings; a format slot offers formats of one value (a
// date). A slot instance is keyed by the slot's name and the `context` words that follow it in the
// finished text, so that an excerpt that shows the slot and those words also shows its key; a
// slot with context 0 is a document-wide style (every instance shows the same choice).

export interface PhraseSlot {
  kind: 'phrase';
  name: string;
  /** Interchangeable phrasings, each correct where the slot is used. Matched case- and space-insensitively. */
  alts: readonly string[];
  /** How many following words key an instance (0: one choice for the whole document). */
  context: number;
}

export interface FormatSlot {
  kind: 'format';
  name: string;
  /** Formats of one value; `pattern` recognises the format in normalized (lower-case) text. */
  alts: ReadonlyArray<{ render: (value: Date) => string; pattern: RegExp }>;
  context: 0;
}

export type Slot = PhraseSlot | FormatSlot;

/** A piece of text to weave: literal text, or a slot (with the value a format slot renders). */
export type Segment = string | { slot: PhraseSlot } | { slot: FormatSlot; value: Date };

export const phrase = (name: string, context: number, alts: readonly string[]): PhraseSlot => ({
  kind: 'phrase',
  name,
  alts,
  context,
});
