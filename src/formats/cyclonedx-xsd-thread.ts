// CycloneDX XML schema validation off the main thread. libxml2 (WebAssembly) validates a whole
// document tree: over a second for a 16 MiB document, and WebAssembly memory that grows to 3–5×
// the document and never shrinks. On a worker thread neither stalls the server nor stays: the
// thread starts on the first XML upload (loading libxml2 then, not at server start), validates
// one document at a time, and stops when idle, which returns its memory.
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.ts';
import type { XsdOptions, XsdResult } from './cyclonedx-xsd.ts';
import type { XsdReply, XsdRequest } from './cyclonedx-xsd-worker.ts';

/** The thread stops after this long with nothing to do. */
const IDLE_MS = 30_000;

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve(r: XsdResult): void; reject(e: Error): void }>;
}

let thread: Thread | null = null;
let nextId = 1;
let idleTimer: NodeJS.Timeout | undefined;

function start(): Thread {
  const worker = new Worker(workerEntry(import.meta.url, './cyclonedx-xsd-worker.ts', 'cyclonedx-xsd-worker'));
  const t: Thread = { worker, pending: new Map() };
  worker.on('message', (m: XsdReply) => {
    const p = t.pending.get(m.id);
    if (!p) return;
    t.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`XML schema validation failed: ${m.error}`));
    if (t.pending.size === 0) idle(t);
  });
  const fail = (e: Error) => {
    if (thread === t) thread = null;
    for (const p of t.pending.values()) p.reject(e);
    t.pending.clear();
  };
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => fail(new Error(`the XML schema validation thread stopped (exit ${code})`)));
  worker.unref();
  return t;
}

function idle(t: Thread): void {
  t.worker.unref();
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void stopXsdThread(), IDLE_MS);
  idleTimer.unref();
}

/**
 * Validates a CycloneDX XML document against the XSD of `version` on the validation thread. The
 * bytes are moved there when `xml` is a whole buffer of its own (then unusable here), else copied.
 */
export function validateCycloneDxXmlOffThread(version: string, xml: Uint8Array, opts: XsdOptions = {}): Promise<XsdResult> {
  clearTimeout(idleTimer);
  thread ??= start();
  const t = thread;
  const id = nextId++;
  const result = new Promise<XsdResult>((resolve, reject) => t.pending.set(id, { resolve, reject }));
  const own = xml.byteOffset === 0 && xml.byteLength === xml.buffer.byteLength ? xml : xml.slice();
  const request: XsdRequest = { id, version, xml: own, opts };
  t.worker.ref(); // keep the process alive while a validation is in flight
  t.worker.postMessage(request, [own.buffer as ArrayBuffer]);
  return result;
}

/** Stops the thread (the next validation starts it again). */
export async function stopXsdThread(): Promise<void> {
  clearTimeout(idleTimer);
  const t = thread;
  thread = null;
  if (t) await t.worker.terminate();
}
