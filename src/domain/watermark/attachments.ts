// Recipient marks in attachments, where the format has a place its readers ignore: a PNG tEXt
// chunk before IEND, a PDF comment after the last %%EOF, a ZIP archive comment. The mark is a
// 128-bit tag derived from the recipient's subkey (not its id), so it names nobody without the
// case secret. It survives byte-for-byte forwarding only: re-saving, printing, screenshots,
// re-zipping or extracting the files drop it. Other formats (text included) are served unchanged.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

const KEYWORD = 'village-mark';
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The recipient's attachment tag (32 hex digits) from its watermark subkey. */
export function attachmentTag(subkey: Uint8Array): string {
  return createHash('sha256').update(subkey).update('attachment').digest('hex').slice(0, 32);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/** Offset of the last ZIP end-of-central-directory record, or -1. */
function eocd(b: Buffer): number {
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--)
    if (b.readUInt32LE(i) === 0x06054b50 && i + 22 + b.readUInt16LE(i + 20) === b.length) return i;
  return -1;
}

/** The content with the recipient's tag, or null when the format has no place for one (serve it unchanged). */
export function markAttachment(content: Buffer, tag: string): Buffer | null {
  if (content.length > 8 && content.subarray(0, 8).equals(PNG_MAGIC)) {
    const iend = content.lastIndexOf(Buffer.from('IEND', 'latin1'));
    if (iend < 4) return null;
    const at = iend - 4;
    return Buffer.concat([
      content.subarray(0, at),
      pngChunk('tEXt', Buffer.from(`${KEYWORD}\0${tag}`, 'latin1')),
      content.subarray(at),
    ]);
  }
  if (content.subarray(0, 5).toString('latin1') === '%PDF-') {
    return Buffer.concat([content, Buffer.from(`\n%${KEYWORD} ${tag}\n`, 'latin1')]);
  }
  if (content.length >= 22 && content.readUInt32LE(0) === 0x04034b50) {
    const e = eocd(content);
    if (e < 0 || content.readUInt16LE(e + 20) !== 0) return null;
    const comment = Buffer.from(`${KEYWORD} ${tag}`, 'latin1');
    const head = Buffer.from(content.subarray(0, e + 22));
    head.writeUInt16LE(comment.length, e + 20);
    return Buffer.concat([head, comment]);
  }
  return null;
}

/** The tag an attachment carries, if any. */
export function readAttachmentMark(content: Buffer): string | null {
  const m = new RegExp(`${KEYWORD}[\\0 ]([0-9a-f]{32})`).exec(content.toString('latin1'));
  return m?.[1] ?? null;
}
