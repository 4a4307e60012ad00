// Recipient-specific fingerprints woven into the text Village generates (docs/leak-tracing.md).

export { attachmentTag, markAttachment, readAttachmentMark } from './attachments.ts';
export { BRIEFING_SLOT_LIST, BRIEFING_SLOTS, DATE_STYLE } from './briefing-slots.ts';
export { CandidateTable, recipientSubkey, SymbolCache, slotSymbol } from './codeword.ts';
export { type Observation, observe } from './detect.ts';
export { normalizeText } from './normalize.ts';
export { type FormatSlot, type PhraseSlot, phrase, type Segment, type Slot } from './slots.ts';
export {
  type CandidateScore,
  DEFAULT_ALPHA,
  DEFAULT_EPSILON,
  scoreAll,
  type TraceEvidence,
  type TraceVerdict,
  threshold,
  traceObservations,
} from './trace.ts';
export { instanceKey, type WatermarkKey, weave } from './weave.ts';
