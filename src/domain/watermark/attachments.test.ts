import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { attachmentTag, markAttachment, readAttachmentMark } from './attachments.ts';
import { recipientSubkey } from './codeword.ts';

const SECRET = new Uint8Array(32).fill(3);
const tagA = attachmentTag(recipientSubkey(SECRET, 'org-a'));
const tagB = attachmentTag(recipientSubkey(SECRET, 'org-b'));
// A 1×1 PNG (IHDR, IDAT, IEND).
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6a0c00000000049454e44ae426082',
  'hex',
);
// A ZIP holding hello.txt ("hello") stored without compression.
function zip(): Buffer {
  const name = Buffer.from('hello.txt');
  const data = Buffer.from('hello');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(0x3610a686, 14);
  local.writeUInt32LE(5, 18);
  local.writeUInt32LE(5, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(0x3610a686, 16);
  central.writeUInt32LE(5, 20);
  central.writeUInt32LE(5, 24);
  central.writeUInt16LE(name.length, 28);
  const cdOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

describe('attachment marks', () => {
  it('differ per recipient and name nobody in clear', () => {
    expect(tagA).toMatch(/^[0-9a-f]{32}$/);
    expect(tagA).not.toBe(tagB);
  });

  it('go into a PNG tEXt chunk before IEND, with a valid CRC', () => {
    const m = markAttachment(PNG, tagA) as Buffer;
    expect(readAttachmentMark(m)).toBe(tagA);
    expect(m.subarray(-12).toString('latin1', 4, 8)).toBe('IEND');
    const text = m.indexOf(Buffer.from('tEXt'));
    const len = m.readUInt32BE(text - 4);
    expect(m.readUInt32BE(text + 4 + len)).toBe(crc32(m.subarray(text, text + 4 + len)) >>> 0);
  });

  it('go after the end of a PDF, and into the comment of a ZIP that keeps its content', () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    expect(readAttachmentMark(markAttachment(pdf, tagB) as Buffer)).toBe(tagB);
    const z = markAttachment(zip(), tagA) as Buffer;
    expect(readAttachmentMark(z)).toBe(tagA);
    // Everything but the comment length is unchanged.
    expect(z.subarray(0, zip().length - 2).equals(zip().subarray(0, zip().length - 2))).toBe(true);
  });

  it('leave other formats alone', () => {
    expect(markAttachment(Buffer.from('plain text\n'), tagA)).toBeNull();
    expect(readAttachmentMark(Buffer.from('plain text\n'))).toBeNull();
  });
});
