// The CycloneDX XML schema validation thread (src/formats/cyclonedx-xsd-thread.ts): validates the
// documents it is sent, one at a time, with libxml2 loaded once and the XSDs compiled once per version.
import { parentPort } from 'node:worker_threads';
import { validateCycloneDxXml, type XsdOptions, type XsdResult } from './cyclonedx-xsd.ts';

export interface XsdRequest {
  id: number;
  version: string;
  xml: Uint8Array;
  opts: XsdOptions;
}
export type XsdReply = { id: number; ok: true; result: XsdResult } | { id: number; ok: false; error: string };

const port = parentPort;
if (!port) throw new Error('cyclonedx-xsd-worker runs as a worker thread');

port.on('message', async (req: XsdRequest) => {
  let reply: XsdReply;
  try {
    reply = { id: req.id, ok: true, result: await validateCycloneDxXml(req.version, req.xml, req.opts) };
  } catch (e) {
    reply = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
