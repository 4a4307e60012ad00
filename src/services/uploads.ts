// Checks uploaded files by their content, not their claimed type: only an allow-list of
// formats is accepted, and the stored media type is the detected one. Downloads are always
// served as attachments, so nothing uploaded can render as a page.
import { createHash } from 'node:crypto';
import { problems } from '../problem.ts';

// file-type (and its parsers) is imported with the first upload, not when the server starts.
let fileType: Promise<typeof import('file-type')> | null = null;

export const MAX_FILE_BYTES = 10 * 1024 * 1024;

const ALLOWED = new Set([
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/zip',
  'application/gzip',
  'application/x-tar',
  'application/x-7z-compressed',
  'video/mp4',
  'video/webm',
]);

export interface CheckedFile {
  filename: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  content: Buffer;
}

/** Safe file names: no paths, no control characters, at most 200 characters. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? 'file';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const cleaned = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '_').trim();
  return (cleaned || 'file').slice(0, 200);
}

function isPlainText(buf: Buffer): boolean {
  if (buf.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

export async function checkFile(field: string, filename: string, content: Buffer): Promise<CheckedFile> {
  if (content.length === 0) throw problems.badRequest(`${field} is empty`, [{ field, message: 'empty file' }]);
  if (content.length > MAX_FILE_BYTES) {
    throw problems.badRequest(`${field} is larger than ${MAX_FILE_BYTES} bytes`, [{ field, message: 'file too large' }]);
  }
  fileType ??= import('file-type');
  const detected = await (await fileType).fileTypeFromBuffer(content);
  let mediaType: string;
  if (detected && ALLOWED.has(detected.mime)) mediaType = detected.mime;
  else if (!detected && isPlainText(content)) mediaType = 'text/plain; charset=utf-8';
  else {
    throw problems.badRequest(`${field}: files of type ${detected?.mime ?? 'unknown binary'} are not accepted`, [
      { field, message: 'unsupported file type (accepted: text, PDF, images, archives, video)' },
    ]);
  }
  return {
    filename: cleanFilename(filename),
    mediaType,
    sizeBytes: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    content,
  };
}

/** Decodes strict base64 (RFC 4648), naming the field when it is not. */
export function decodeBase64(field: string, data: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) {
    throw problems.badRequest(`${field} is not base64`, [{ field, message: 'not base64' }]);
  }
  return Buffer.from(data, 'base64');
}
