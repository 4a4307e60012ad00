// Where outgoing mail is signed and encrypted. OpenPGP costs a few milliseconds of CPU per
// message, so a release that notifies thousands of people would otherwise keep one core busy
// while the others idle: the pool runs sealMail (src/mail/protect.ts) on worker threads, one per
// core by default (VILLAGE_MAIL_THREADS). The main thread keeps the decisions, the per-recipient
// transform (watermarks) and the SMTP hand-off. Threads start on first use and stop when idle.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PrivateKey, PublicKey } from '../crypto/openpgp.ts';
import { type MailPlan, type ProtectedMail, sealMail } from './protect.ts';
import type { SealReply, SealRequest } from './protect-worker.ts';

export interface SealKeys {
  recipientKey: { key: PublicKey; fingerprint: string } | null;
  now: Date;
}

export interface MailSealer {
  seal(plan: MailPlan, keys: SealKeys): Promise<ProtectedMail>;
  /** Stops the threads (a later seal starts them again). */
  close(): Promise<void>;
  /** 0: sealing runs on the calling thread. */
  readonly threads: number;
}

/** Seals on the calling thread. */
export function inThreadSealer(signingKey: PrivateKey): MailSealer {
  return {
    threads: 0,
    seal: (plan, keys) => sealMail(plan, { signingKey, recipientKey: keys.recipientKey, now: keys.now }),
    close: async () => {},
  };
}

/**
 * The worker's entry. From the bundle (dist/village.mjs) it is dist/protect-worker.mjs, built
 * beside it by bin/village.js; from the TypeScript sources (tsx, tests) it is the .ts file
 * loaded through tsx, which worker threads do not inherit on Node 20.
 */
function workerEntry(): URL {
  const here = new URL(import.meta.url);
  if (!here.pathname.endsWith('.ts')) return new URL('./protect-worker.mjs', here);
  const worker = new URL('./protect-worker.ts', here).href;
  const boot = `const { register } = await import(${JSON.stringify(tsxEsmApi(here))}); register(); await import(${JSON.stringify(worker)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/** tsx's ESM API as a file URL (a data: URL cannot resolve a bare specifier). */
function tsxEsmApi(from: URL): string {
  const require = createRequire(from);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const entry = pkg.exports['./esm/api']?.import.default;
  if (!entry) throw new Error('tsx has no ESM API export');
  return pathToFileURL(path.join(path.dirname(pkgFile), entry)).href;
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve(m: ProtectedMail): void; reject(e: Error): void }>;
}

export interface SealerPoolOptions {
  signingKey: PrivateKey;
  threads: number;
  /** Threads stop after this long with nothing to do. Default 30 s. */
  idleMs?: number;
}

class SealerPool implements MailSealer {
  readonly threads: number;
  private live: Thread[] = [];
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private readonly signingKeyBytes: Uint8Array;

  constructor(opts: SealerPoolOptions) {
    this.threads = opts.threads;
    this.idleMs = opts.idleMs ?? 30_000;
    this.signingKeyBytes = opts.signingKey.write();
  }

  private start(): Thread {
    const worker = new Worker(workerEntry(), { workerData: { signingKey: this.signingKeyBytes } });
    const pending: Thread['pending'] = new Map();
    // Seals posted before the thread has loaded wait in its port until it listens.
    const thread: Thread = { worker, pending };
    worker.on('message', (m: SealReply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve({ raw: m.raw, protection: m.protection, protectedTo: m.protectedTo });
      else p.reject(new Error(`sealing mail failed: ${m.error}`));
      if (pending.size === 0) this.armIdle();
    });
    const fail = (e: Error) => {
      this.live = this.live.filter((t) => t !== thread);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => fail(new Error(`mail thread stopped (exit ${code})`)));
    worker.unref();
    return thread;
  }

  private armIdle(): void {
    if (this.live.some((t) => t.pending.size > 0)) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
    this.idleTimer.unref();
  }

  async seal(plan: MailPlan, keys: SealKeys): Promise<ProtectedMail> {
    clearTimeout(this.idleTimer);
    while (this.live.length < this.threads) this.live.push(this.start());
    // The least busy thread.
    const thread = this.live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    const request: SealRequest = {
      id,
      plan,
      recipientKey: keys.recipientKey
        ? { bytes: keys.recipientKey.key.write(), fingerprint: keys.recipientKey.fingerprint }
        : null,
      now: keys.now,
    };
    const result = new Promise<ProtectedMail>((resolve, reject) => thread.pending.set(id, { resolve, reject }));
    thread.worker.ref(); // keep the process alive while a seal is in flight
    thread.worker.postMessage(request);
    try {
      return await result;
    } finally {
      if (thread.pending.size === 0) thread.worker.unref();
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const threads = this.live;
    this.live = [];
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

/** Worker threads when threads > 0, else the calling thread. */
export function createMailSealer(opts: SealerPoolOptions): MailSealer {
  return opts.threads > 0 ? new SealerPool(opts) : inThreadSealer(opts.signingKey);
}
